// Network verbs: network create, ls, inspect, rm, connect, disconnect, prune (docker 28's
// flags and help).

import { atLeast, type CommandDef, exactly, NO_ARGS } from "../command.ts";
import { FORMAT_HELP, FORMAT_TABLE_HELP } from "./format_help.ts";

export const NETWORK_COMMANDS: CommandDef[] = [
  {
    path: "network create",
    usage: "[OPTIONS] NETWORK",
    short: "Create a network",
    args: exactly(1),
    verb: "network_create",
    flags: [
      { name: "attachable", type: "bool", help: "Enable manual container attachment" },
      {
        name: "aux-address",
        type: "map",
        help: "Auxiliary IPv4 or IPv6 addresses used by Network driver",
        defaultText: "map[]",
      },
      {
        name: "config-from",
        type: "string",
        help: "The network from which to copy the configuration",
      },
      { name: "config-only", type: "bool", help: "Create a configuration only network" },
      {
        name: "driver",
        short: "d",
        type: "string",
        help: "Driver to manage the Network",
        default: "bridge",
        defaultText: '"bridge"',
      },
      { name: "gateway", type: "list", help: "IPv4 or IPv6 Gateway for the master subnet" },
      { name: "ingress", type: "bool", help: "Create swarm routing-mesh network" },
      { name: "internal", type: "bool", help: "Restrict external access to the network" },
      { name: "ip-range", type: "list", help: "Allocate container ip from a sub-range" },
      {
        name: "ipam-driver",
        type: "string",
        help: "IP Address Management Driver",
        default: "default",
        defaultText: '"default"',
      },
      {
        name: "ipam-opt",
        type: "map",
        help: "Set IPAM driver specific options",
        defaultText: "map[]",
      },
      { name: "ipv6", type: "bool", help: "Enable or disable IPv6 networking" },
      { name: "label", type: "list", help: "Set metadata on a network" },
      {
        name: "opt",
        short: "o",
        type: "map",
        help: "Set driver specific options",
        defaultText: "map[]",
      },
      { name: "scope", type: "string", help: "Control the network's scope" },
      {
        name: "subnet",
        type: "list",
        help: "Subnet in CIDR format that represents a network segment",
      },
    ],
  },
  {
    path: "network ls",
    usage: "[OPTIONS]",
    short: "List networks",
    aliases: ["network list"],
    args: NO_ARGS,
    verb: "network_ls",
    flags: [
      {
        name: "filter",
        short: "f",
        type: "filter",
        help: 'Provide filter values (e.g. "driver=bridge")',
      },
      { name: "format", type: "string", help: FORMAT_TABLE_HELP },
      { name: "no-trunc", type: "bool", help: "Do not truncate the output" },
      { name: "quiet", short: "q", type: "bool", help: "Only display network IDs" },
    ],
  },
  {
    path: "network inspect",
    usage: "[OPTIONS] NETWORK [NETWORK...]",
    short: "Display detailed information on one or more networks",
    args: atLeast(1),
    verb: "network_inspect",
    flags: [
      { name: "format", short: "f", type: "string", help: FORMAT_HELP },
      { name: "verbose", short: "v", type: "bool", help: "Verbose output for diagnostics" },
    ],
  },
  {
    path: "network rm",
    usage: "NETWORK [NETWORK...]",
    short: "Remove one or more networks",
    aliases: ["network remove"],
    args: atLeast(1),
    verb: "network_rm",
    flags: [{
      name: "force",
      short: "f",
      type: "bool",
      help: "Do not error if the network does not exist",
    }],
  },
  {
    path: "network connect",
    usage: "[OPTIONS] NETWORK CONTAINER",
    short: "Connect a container to a network",
    args: exactly(2),
    verb: "network_connect",
    flags: [
      { name: "alias", type: "list", help: "Add network-scoped alias for the container" },
      { name: "driver-opt", type: "list", help: "driver options for the network" },
      { name: "ip", type: "string", help: 'IPv4 address (e.g., "172.30.100.104")' },
      { name: "ip6", type: "string", help: 'IPv6 address (e.g., "2001:db8::33")' },
      { name: "link", type: "list", help: "Add link to another container" },
      { name: "link-local-ip", type: "list", help: "Add a link-local address for the container" },
    ],
  },
  {
    path: "network disconnect",
    usage: "[OPTIONS] NETWORK CONTAINER",
    short: "Disconnect a container from a network",
    args: exactly(2),
    verb: "network_disconnect",
    flags: [{
      name: "force",
      short: "f",
      type: "bool",
      help: "Force the container to disconnect from a network",
    }],
  },
  {
    path: "network prune",
    usage: "[OPTIONS]",
    short: "Remove all unused networks",
    args: NO_ARGS,
    verb: "network_prune",
    flags: [
      { name: "filter", type: "filter", help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    ],
  },
];
