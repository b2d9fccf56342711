// Volume verbs: volume create, ls, inspect, rm, prune (docker 28's flags and help).

import { atLeast, atMost, type CommandDef, NO_ARGS } from "../command.ts";
import { FORMAT_HELP, FORMAT_TABLE_HELP } from "./format_help.ts";

export const VOLUME_COMMANDS: CommandDef[] = [
  {
    path: "volume create",
    usage: "[OPTIONS] [VOLUME]",
    short: "Create a volume",
    args: atMost(1),
    verb: "volume_create",
    flags: [
      {
        name: "driver",
        short: "d",
        type: "string",
        help: "Specify volume driver name",
        default: "local",
        defaultText: '"local"',
      },
      { name: "label", type: "list", help: "Set metadata for a volume" },
      { name: "name", type: "string", help: "Specify volume name", hidden: true },
      {
        name: "opt",
        short: "o",
        type: "map",
        help: "Set driver specific options",
        defaultText: "map[]",
      },
    ],
  },
  {
    path: "volume ls",
    usage: "[OPTIONS]",
    short: "List volumes",
    aliases: ["volume list"],
    args: NO_ARGS,
    verb: "volume_ls",
    flags: [
      {
        name: "cluster",
        type: "bool",
        help: "Display only cluster volumes, and use cluster volume list formatting",
      },
      {
        name: "filter",
        short: "f",
        type: "filter",
        help: 'Provide filter values (e.g. "dangling=true")',
      },
      { name: "format", type: "string", help: FORMAT_TABLE_HELP },
      { name: "quiet", short: "q", type: "bool", help: "Only display volume names" },
    ],
  },
  {
    path: "volume inspect",
    usage: "[OPTIONS] VOLUME [VOLUME...]",
    short: "Display detailed information on one or more volumes",
    args: atLeast(1),
    verb: "volume_inspect",
    flags: [{ name: "format", short: "f", type: "string", help: FORMAT_HELP }],
  },
  {
    path: "volume rm",
    usage: "[OPTIONS] VOLUME [VOLUME...]",
    short: "Remove one or more volumes",
    long: "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
    aliases: ["volume remove"],
    args: atLeast(1),
    verb: "volume_rm",
    flags: [{
      name: "force",
      short: "f",
      type: "bool",
      help: "Force the removal of one or more volumes",
    }],
  },
  {
    path: "volume prune",
    usage: "[OPTIONS]",
    short: "Remove unused local volumes",
    args: NO_ARGS,
    verb: "volume_prune",
    flags: [
      {
        name: "all",
        short: "a",
        type: "bool",
        help: "Remove all unused volumes, not just anonymous ones",
      },
      { name: "filter", type: "filter", help: 'Provide filter values (e.g. "label=<label>")' },
      { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    ],
  },
];
