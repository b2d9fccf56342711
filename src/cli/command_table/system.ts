// System verbs: version, info, events, system prune/df.

import { atLeast, type CommandDef, exactly, NO_ARGS } from "../command.ts";
import { FORMAT_HELP, FORMAT_TABLE_HELP } from "./format_help.ts";

export const SYSTEM_COMMANDS: CommandDef[] = [
  {
    path: "completion",
    usage: "bash|zsh|fish",
    short: "Generate the autocompletion script for the specified shell",
    long: "Generate the autocompletion script for the specified shell (bash, zsh or fish).\n" +
      "Each completion runs `engine __complete`, which answers from this command table.",
    args: exactly(1),
    verb: "completion",
    flags: [],
  },
  {
    // What the completion scripts call: the candidates for the last of WORDS.
    path: "__complete",
    usage: "-- WORDS...",
    short: "Complete a command line (used by the completion scripts)",
    args: atLeast(0),
    interspersed: false,
    verb: "__complete",
    flags: [],
  },
  {
    path: "version",
    usage: "[OPTIONS]",
    short: "Show the Engine version information",
    args: NO_ARGS,
    verb: "version",
    flags: [
      { name: "format", short: "f", type: "string", help: FORMAT_HELP },
    ],
  },
  {
    path: "info",
    usage: "[OPTIONS]",
    short: "Display system-wide information",
    aliases: ["system info", "info"],
    args: NO_ARGS,
    verb: "info",
    flags: [
      { name: "format", short: "f", type: "string", help: FORMAT_HELP },
    ],
  },
  {
    path: "events",
    usage: "[OPTIONS]",
    short: "Get real time events from the server",
    aliases: ["system events", "events"],
    args: NO_ARGS,
    verb: "events",
    flags: [
      {
        name: "filter",
        short: "f",
        type: "filter",
        help: "Filter output based on conditions provided",
      },
      { name: "format", type: "string", help: FORMAT_HELP },
      { name: "since", type: "string", help: "Show all events created since timestamp" },
      { name: "until", type: "string", help: "Stream events until this timestamp" },
    ],
  },
  {
    path: "system prune",
    usage: "[OPTIONS]",
    short: "Remove unused data",
    args: NO_ARGS,
    verb: "system_prune",
    flags: [
      {
        name: "all",
        short: "a",
        type: "bool",
        help: "Remove all unused images not just dangling ones",
      },
      {
        name: "filter",
        type: "filter",
        help: 'Provide filter values (e.g. "label=<key>=<value>")',
      },
      { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
      { name: "volumes", type: "bool", help: "Prune anonymous volumes" },
    ],
  },
  {
    path: "system df",
    usage: "[OPTIONS]",
    short: "Show docker disk usage",
    long: "Show engine disk usage",
    args: NO_ARGS,
    verb: "system_df",
    flags: [
      { name: "format", type: "string", help: FORMAT_TABLE_HELP },
      {
        name: "verbose",
        short: "v",
        type: "bool",
        help: "Show detailed information on space usage",
      },
    ],
  },
];
