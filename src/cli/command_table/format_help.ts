// The --format help texts docker repeats on every listing command.

const REFER = "Refer to https://docs.docker.com/go/formatting/ for more information about " +
  "formatting output with templates";

export const FORMAT_HELP = "Format output using a custom template:\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" + REFER;

export const FORMAT_TABLE_HELP = "Format output using a custom template:\n" +
  "'table':            Print output in table format with column headers (default)\n" +
  "'table TEMPLATE':   Print output in table format using the given Go template\n" +
  "'json':             Print in JSON format\n" +
  "'TEMPLATE':         Print output using the given Go template.\n" + REFER;
