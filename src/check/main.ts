// `engine check`: is this host able to run the engine? Each item ok or missing, with the
// fix, like moby's contrib/check-config.sh. Exit 1 when a required feature is missing.
import { parseArgs } from "node:util";
import { evaluate } from "./checks.ts";
import { gatherFacts } from "./gather.ts";
import { failures } from "./item.ts";
import { formatJson, formatText } from "./report.ts";

export const DEFAULT_DATA_ROOT = "/var/lib/engine";

const USAGE = `Usage:  engine check [OPTIONS]

Check that this host can run the engine: kernel version and system calls, namespaces,
overlayfs, cgroups, seccomp, kernel config, network tools, free space, init binaries.

Required (exit status 1 when missing): mnt, pid, uts, ipc and net namespaces; overlayfs;
cgroups with the freezer, devices and pids controllers (v1) or their v2 equivalents;
the openat2 and pidfd_open system calls. Other items only warn.

Options:
      --data-root string   Root of persisted engine state (default "${DEFAULT_DATA_ROOT}")
      --json               Print the report as JSON
  -h, --help               Print usage
`;

export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        "data-root": { type: "string", default: DEFAULT_DATA_ROOT },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`engine check: ${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    return 125;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const dataRoot = values["data-root"].replace(/\/+$/, "") || "/";
  const facts = await gatherFacts({ dataRoot });
  const items = evaluate(facts);
  if (values.json) {
    console.log(formatJson({
      kernel: facts.kernelRelease,
      kernelConfig: facts.kernelConfig?.source ?? null,
      cgroup: facts.cgroups,
      dataRoot,
      items,
    }));
  } else {
    const header = `engine check: kernel ${facts.kernelRelease}, kernel config ` +
      (facts.kernelConfig ? `from ${facts.kernelConfig.source}` : "not readable") +
      `, data root ${dataRoot}`;
    const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
    console.log(formatText(header, items, color));
  }
  return failures(items).length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
