// Image verbs (issue 6), with docker 28's usage lines, aliases, flags and help texts.

import { atLeast, atMost, between, type CommandDef, exactly, NO_ARGS } from "../command.ts";
import { FORMAT_HELP, FORMAT_TABLE_HELP } from "./format_help.ts";

export const IMAGE_COMMANDS: CommandDef[] = [
  {
    path: "pull",
    usage: "[OPTIONS] NAME[:TAG|@DIGEST]",
    short: "Download an image from a registry",
    aliases: ["image pull", "pull"],
    args: exactly(1),
    verb: "pull",
    flags: [
      {
        name: "all-tags",
        short: "a",
        type: "bool",
        help: "Download all tagged images in the repository",
      },
      {
        name: "disable-content-trust",
        type: "bool",
        defaultText: "true",
        default: true,
        help: "Skip image verification",
      },
      {
        name: "platform",
        type: "string",
        help: "Set platform if server is multi-platform capable",
      },
      { name: "quiet", short: "q", type: "bool", help: "Suppress verbose output" },
    ],
  },
  {
    path: "push",
    usage: "[OPTIONS] NAME[:TAG]",
    short: "Upload an image to a registry",
    aliases: ["image push", "push"],
    args: exactly(1),
    verb: "push",
    flags: [
      {
        name: "all-tags",
        short: "a",
        type: "bool",
        help: "Push all tags of an image to the repository",
      },
      {
        name: "disable-content-trust",
        type: "bool",
        defaultText: "true",
        default: true,
        help: "Skip image signing",
      },
      {
        name: "platform",
        type: "string",
        help:
          "Push a platform-specific manifest as a single-platform image to the registry. Image index won't be pushed, meaning that other manifests, including attestations won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
      },
      { name: "quiet", short: "q", type: "bool", help: "Suppress verbose output" },
    ],
  },
  {
    path: "images",
    usage: "[OPTIONS] [REPOSITORY[:TAG]]",
    short: "List images",
    aliases: ["image ls", "image list", "images"],
    args: atMost(1),
    verb: "images",
    flags: [
      {
        name: "all",
        short: "a",
        type: "bool",
        help: "Show all images (default hides intermediate images)",
      },
      { name: "digests", type: "bool", help: "Show digests" },
      {
        name: "filter",
        short: "f",
        type: "filter",
        help: "Filter output based on conditions provided",
      },
      { name: "format", type: "string", help: FORMAT_TABLE_HELP },
      { name: "no-trunc", type: "bool", help: "Don't truncate output" },
      { name: "quiet", short: "q", type: "bool", help: "Only show image IDs" },
      { name: "tree", type: "bool", help: "List multi-platform images as a tree (EXPERIMENTAL)" },
    ],
  },
  {
    path: "image inspect",
    usage: "[OPTIONS] IMAGE [IMAGE...]",
    short: "Display detailed information on one or more images",
    args: atLeast(1),
    verb: "inspect",
    flags: [
      { name: "format", short: "f", type: "string", help: FORMAT_HELP },
      {
        name: "platform",
        type: "string",
        help:
          "Inspect a specific platform of the multi-platform image.\nIf the image or the server is not multi-platform capable, the command will error out if the platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
      },
    ],
  },
  {
    path: "rmi",
    usage: "[OPTIONS] IMAGE [IMAGE...]",
    short: "Remove one or more images",
    aliases: ["image rm", "image remove", "rmi"],
    args: atLeast(1),
    verb: "rmi",
    flags: [
      { name: "force", short: "f", type: "bool", help: "Force removal of the image" },
      { name: "no-prune", type: "bool", help: "Do not delete untagged parents" },
      {
        name: "platform",
        type: "strings",
        help:
          'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")',
      },
    ],
  },
  {
    path: "image prune",
    usage: "[OPTIONS]",
    short: "Remove unused images",
    args: NO_ARGS,
    verb: "image_prune",
    flags: [
      {
        name: "all",
        short: "a",
        type: "bool",
        help: "Remove all unused images, not just dangling ones",
      },
      { name: "filter", type: "filter", help: 'Provide filter values (e.g. "until=<timestamp>")' },
      { name: "force", short: "f", type: "bool", help: "Do not prompt for confirmation" },
    ],
  },
  {
    path: "tag",
    usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    aliases: ["image tag", "tag"],
    args: exactly(2),
    verb: "tag",
    flags: [],
  },
  {
    path: "save",
    usage: "[OPTIONS] IMAGE [IMAGE...]",
    short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
    aliases: ["image save", "save"],
    args: atLeast(1),
    verb: "save",
    flags: [
      { name: "output", short: "o", type: "string", help: "Write to a file, instead of STDOUT" },
      {
        name: "platform",
        type: "string",
        help:
          'Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")',
      },
    ],
  },
  {
    path: "build",
    usage: "[OPTIONS] PATH | URL | -",
    short: "Build an image from a Dockerfile",
    aliases: ["image build", "build", "builder build"],
    args: exactly(1),
    verb: "build",
    flags: [
      { name: "build-arg", type: "list", help: "Set build-time variables" },
      { name: "cache-from", type: "strings", help: "Images to consider as cache sources" },
      { name: "compress", type: "bool", help: "Compress the build context using gzip" },
      {
        name: "disable-content-trust",
        type: "bool",
        defaultText: "true",
        default: true,
        help: "Skip image verification",
      },
      {
        name: "file",
        short: "f",
        type: "string",
        help: 'Name of the Dockerfile (Default is "PATH/Dockerfile")',
      },
      { name: "force-rm", type: "bool", help: "Always remove intermediate containers" },
      { name: "iidfile", type: "string", help: "Write the image ID to the file" },
      { name: "label", type: "list", help: "Set metadata for an image" },
      {
        name: "network",
        type: "string",
        default: "default",
        defaultText: '"default"',
        help: "Set the networking mode for the RUN instructions during build",
      },
      { name: "no-cache", type: "bool", help: "Do not use cache when building the image" },
      {
        name: "platform",
        type: "string",
        help: "Set platform if server is multi-platform capable",
      },
      { name: "pull", type: "bool", help: "Always attempt to pull a newer version of the image" },
      {
        name: "quiet",
        short: "q",
        type: "bool",
        help: "Suppress the build output and print image ID on success",
      },
      {
        name: "rm",
        type: "bool",
        default: true,
        defaultText: "true",
        help: "Remove intermediate containers after a successful build",
      },
      {
        name: "tag",
        short: "t",
        type: "list",
        help: 'Name and optionally a tag in the "name:tag" format',
      },
      { name: "target", type: "string", help: "Set the target build stage to build." },
    ],
  },
  {
    path: "load",
    usage: "[OPTIONS]",
    short: "Load an image from a tar archive or STDIN",
    aliases: ["image load", "load"],
    args: NO_ARGS,
    verb: "load",
    flags: [
      {
        name: "input",
        short: "i",
        type: "string",
        help: "Read from tar archive file, instead of STDIN",
      },
      {
        name: "platform",
        type: "string",
        help:
          'Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")',
      },
      { name: "quiet", short: "q", type: "bool", help: "Suppress the load output" },
    ],
  },
  {
    path: "import",
    usage: "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
    short: "Import the contents from a tarball to create a filesystem image",
    aliases: ["image import", "import"],
    args: between(1, 2),
    verb: "import",
    flags: [
      {
        name: "change",
        short: "c",
        type: "list",
        help: "Apply Dockerfile instruction to the created image",
      },
      {
        name: "message",
        short: "m",
        type: "string",
        help: "Set commit message for imported image",
      },
      {
        name: "platform",
        type: "string",
        help: "Set platform if server is multi-platform capable",
      },
    ],
  },
  {
    path: "history",
    usage: "[OPTIONS] IMAGE",
    short: "Show the history of an image",
    aliases: ["image history", "history"],
    args: exactly(1),
    verb: "history",
    flags: [
      { name: "format", type: "string", help: FORMAT_TABLE_HELP },
      {
        name: "human",
        short: "H",
        type: "bool",
        defaultText: "true",
        default: true,
        help: "Print sizes and dates in human readable format",
      },
      { name: "no-trunc", type: "bool", help: "Don't truncate output" },
      {
        name: "platform",
        type: "string",
        help:
          'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")',
      },
      { name: "quiet", short: "q", type: "bool", help: "Only show image IDs" },
    ],
  },
  {
    path: "login",
    usage: "[OPTIONS] [SERVER]",
    short: "Authenticate to a registry.",
    long: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
    args: atMost(1),
    verb: "login",
    flags: [
      {
        name: "password",
        short: "p",
        type: "string",
        help: "Password or Personal Access Token (PAT)",
      },
      {
        name: "password-stdin",
        type: "bool",
        help: "Take the Password or Personal Access Token (PAT) from stdin",
      },
      { name: "username", short: "u", type: "string", help: "Username" },
    ],
  },
  {
    path: "logout",
    usage: "[SERVER]",
    short: "Log out from a registry.",
    long:
      "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
    args: atMost(1),
    verb: "logout",
    flags: [],
  },
];
