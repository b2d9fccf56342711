// Every verb's definition, and the lookup from what was typed (`ps`, `container ls`,
// `image rm`) to its definition. Completion (issue 9) walks the same tables.

import type { CommandDef } from "../command.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import { CONTAINER_OPS_COMMANDS } from "./container_ops.ts";
import { IMAGE_COMMANDS } from "./images.ts";
import { NETWORK_COMMANDS } from "./networks.ts";
import { SYSTEM_COMMANDS } from "./system.ts";
import { VOLUME_COMMANDS } from "./volumes.ts";

export const COMMANDS: CommandDef[] = [
  ...CONTAINER_COMMANDS,
  ...CONTAINER_OPS_COMMANDS,
  ...IMAGE_COMMANDS,
  ...NETWORK_COMMANDS,
  ...SYSTEM_COMMANDS,
  ...VOLUME_COMMANDS,
];

/** The management commands and their one-line descriptions. */
export const GROUPS: Record<string, string> = {
  container: "Manage containers",
  image: "Manage images",
  network: "Manage networks",
  system: "Manage Engine",
  volume: "Manage volumes",
};

/** Every typed form ("ps", "container ls", "container list", …) → its definition. */
function buildIndex(): Map<string, CommandDef> {
  const index = new Map<string, CommandDef>();
  for (const def of COMMANDS) {
    index.set(def.path, def);
    for (const alias of def.aliases ?? []) if (!index.has(alias)) index.set(alias, def);
  }
  return index;
}

let index: Map<string, CommandDef> | undefined;

export function findCommand(path: string): CommandDef | undefined {
  index ??= buildIndex();
  return index.get(path);
}

/** The name a definition has inside a group (`ls` for ps under `container`). */
export function nameInGroup(def: CommandDef, group: string): string | undefined {
  const forms = [def.path, ...(def.aliases ?? [])];
  const form = forms.find((f) => f.startsWith(group + " "));
  return form?.slice(group.length + 1);
}

/** The subcommands of a group with their descriptions, sorted by name (for group help). */
export function groupCommands(group: string): [string, string][] {
  const rows: [string, string][] = [];
  for (const def of COMMANDS) {
    const name = nameInGroup(def, group);
    if (name && !rows.some(([n]) => n === name)) rows.push([name, def.short]);
  }
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** How a command is shown in its usage line when typed as `typed`. */
export function displayPath(def: CommandDef, typed: string): string {
  const [group] = typed.split(" ");
  if (typed.includes(" ") && GROUPS[group]) return `${group} ${nameInGroup(def, group) ?? ""}`;
  return typed;
}
