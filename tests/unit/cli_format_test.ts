// --format templates, docker's table layout, and go-units rendering.

import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { render } from "../../src/cli/format/template.ts";
import { renderRows } from "../../src/cli/format/formatter.ts";
import {
  ContainerContext,
  DEFAULT_PS_TABLE,
  displayablePorts,
} from "../../src/cli/format/containers.ts";
import { DEFAULT_IMAGES_TABLE, imageRows } from "../../src/cli/format/images.ts";
import { tabwrite } from "../../src/cli/format/tabwriter.ts";
import { bytesSize, formatG, humanDuration, humanSize } from "../../src/cli/units.ts";

const data = {
  Name: "/xx",
  State: { Status: "running", Pid: 42, Health: null },
  Config: { Labels: { a: "1", "com.x": "y" }, Env: ["A=1", "B=2"], Tty: false },
  Mounts: [],
};

Deno.test("templates: fields, json, index, range, if/else, join, case, printf, println", () => {
  const cases: [string, string][] = [
    ["{{.Name}}", "/xx"],
    ["{{.State.Status}} {{.State.Pid}}", "running 42"],
    ["{{json .Config.Labels}}", '{"a":"1","com.x":"y"}'],
    ["{{json .State.Health}}", "null"],
    ['{{index .Config.Labels "com.x"}}', "y"],
    ["{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]"],
    ["{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;com.x=y;"],
    ["{{range .Mounts}}x{{else}}none{{end}}", "none"],
    ["{{if .Config.Tty}}tty{{else}}no tty{{end}}", "no tty"],
    [
      '{{if eq .State.Status "exited"}}E{{else if eq .State.Status "running"}}R{{else}}?{{end}}',
      "R",
    ],
    ['{{join .Config.Env ","}}', "A=1,B=2"],
    ['{{upper .State.Status}} {{lower "AB"}} {{title "hello world"}}', "RUNNING ab Hello World"],
    ['{{printf "%s-%d|%5s|%-4s|" .State.Status .State.Pid "a" "b"}}', "running-42|    a|b   |"],
    ["{{println .Name}}", "/xx\n"],
    ["{{.State.Health}}", "<nil>"],
    ["{{.Nope}}", "<no value>"],
    ["{{len .Config.Env}}", "2"],
    ["{{- .Name -}}  \n", "/xx"],
    ["a {{- .Name}}", "a/xx"],
    ["{{with .State}}{{.Pid}}{{end}}", "42"],
    ["{{.State.Status | upper}}", "RUNNING"],
    ["{{(index .Config.Env 1)}}", "B=2"],
    ['{{json "<a&b>"}}', '"\\u003ca\\u0026b\\u003e"'],
  ];
  for (const [tmpl, want] of cases) assertEquals(render(tmpl, data), want, tmpl);
});

Deno.test("templates: errors", () => {
  throws(() => render("{{nope .Name}}", data), /function "nope" not defined/);
  throws(() => render("{{if .Name}}x", data), /unexpected EOF/);
  throws(
    () => render("{{.Nope}}", new ContainerContext({ Id: "x" })),
    /can't evaluate field Nope in type \*formatter.ContainerContext/,
  );
});

Deno.test("tabwriter: docker's minwidth 10, padding 3, last cell unpadded", () => {
  assertEquals(
    tabwrite("A\tBB\tC\nlonger cell here\tx\ty\n"),
    "A                  BB        C\nlonger cell here   x         y\n",
  );
});

const container = {
  Id: "212f41b3606fdcba9876543210212f41b3606fdcba9876543210abcdefabcdef",
  Names: ["/xx"],
  Image: "bb:latest",
  ImageID: "sha256:4f8af93aa796ec7fedf430586bbee0089b7f7af85b492d36ab2b1b05b3f017eb",
  Command: "sh -c 'echo a very long command line'",
  Created: 1_000_000_000,
  Ports: [],
  Labels: {},
  State: "running",
  Status: "Up 2 minutes",
  NetworkSettings: { Networks: { bridge: {} } },
  Mounts: [],
};

Deno.test("ps default table: truncation, quoted COMMAND with ellipsis, CREATED", () => {
  const now = 1_000_000_000_000 + 125_000;
  const out = renderRows(DEFAULT_PS_TABLE, [new ContainerContext(container, true, now)]);
  assertEquals(
    out,
    "CONTAINER ID   IMAGE       COMMAND                  CREATED         STATUS         PORTS     NAMES\n" +
      '212f41b3606f   bb:latest   "sh -c \'echo a very …"   2 minutes ago   Up 2 minutes             xx\n',
  );
  const noTrunc = new ContainerContext(container, false, now);
  assertEquals(noTrunc.Command, `"sh -c 'echo a very long command line'"`);
  assertEquals(noTrunc.ID.length, 64);
});

Deno.test("ps --format json and custom tables", () => {
  const ctx = new ContainerContext({ ...container, Command: "sleep 30" }, true, 1_000_000_002_000);
  const json = JSON.parse(renderRows("json", [ctx]));
  assertEquals(json.Command, '"sleep 30"');
  assertEquals(json.Names, "xx");
  assertEquals(json.Networks, "bridge");
  assertEquals(json.RunningFor, "2 seconds ago");
  assertEquals(json.Size, "0B");
  assertEquals(json.Platform, null);
  assertEquals(
    renderRows("table {{.ID}}\\t{{upper .Names}}", [ctx]),
    "CONTAINER ID   XX\n212f41b3606f   XX\n".replace("   XX\n212", "   NAMES\n212"),
  );
  assertEquals(renderRows("{{.Names}}", []), "");
  assertEquals(renderRows("table {{.Names}}", [], new ContainerContext({ Id: "" })), "NAMES\n");
});

Deno.test("PORTS as docker renders them", () => {
  assertEquals(displayablePorts([]), "");
  assertEquals(displayablePorts([{ PrivatePort: 80, Type: "tcp" }]), "80/tcp");
  assertEquals(
    displayablePorts([
      { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
    ]),
    "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
  );
  assertEquals(
    displayablePorts([
      { PrivatePort: 7001, Type: "tcp" },
      { PrivatePort: 7000, Type: "tcp" },
      { PrivatePort: 7002, Type: "tcp" },
      { IP: "0.0.0.0", PrivatePort: 9000, PublicPort: 9000, Type: "tcp" },
      { IP: "0.0.0.0", PrivatePort: 9001, PublicPort: 9001, Type: "tcp" },
    ]),
    "7000-7002/tcp, 0.0.0.0:9000-9001->9000-9001/tcp",
  );
});

Deno.test("images: one row per tag, <none>, SIZE with 3 significant digits", () => {
  const img = {
    Id: "sha256:4f8af93aa796ec7fedf430586bbee0089b7f7af85b492d36ab2b1b05b3f017eb",
    RepoTags: ["bb:latest", "bb:t2"],
    RepoDigests: null,
    Created: 1000,
    Size: 1982347,
    SharedSize: -1,
    VirtualSize: 1982347,
    Containers: -1,
  };
  const now = 1000_000 + 17 * 60_000;
  const rows = imageRows([img, { ...img, Id: "sha256:" + "a".repeat(64), RepoTags: [] }], { now });
  assertEquals(
    renderRows(DEFAULT_IMAGES_TABLE, rows),
    "REPOSITORY   TAG       IMAGE ID       CREATED          SIZE\n" +
      "bb           latest    4f8af93aa796   17 minutes ago   1.98MB\n" +
      "bb           t2        4f8af93aa796   17 minutes ago   1.98MB\n" +
      "<none>       <none>    aaaaaaaaaaaa   17 minutes ago   1.98MB\n",
  );
  const json = JSON.parse(renderRows("json", rows.slice(0, 1)));
  assertEquals(json.VirtualSize, "1.982MB");
  assertEquals(json.Containers, "N/A");
  assertEquals(json.Digest, "<none>");
});

Deno.test("go-units: HumanSize, BytesSize, HumanDuration, %g", () => {
  const sizes: [number, number, string][] = [
    [0, 3, "0B"],
    [999, 3, "999B"],
    [1000, 3, "1kB"],
    [1982347, 3, "1.98MB"],
    [1982347, 4, "1.982MB"],
    [2048, 4, "2.048kB"],
    [107, 4, "107B"],
    [1e9, 4, "1GB"],
    [999_999, 3, "1e+03kB"],
  ];
  for (const [n, p, want] of sizes) assertEquals(humanSize(n, p), want, `${n}`);
  assertEquals(bytesSize(1536 * 1024), "1.5MiB");
  assertEquals(formatG(0.0001234, 3), "0.000123");
  const durations: [number, string][] = [
    [500, "Less than a second"],
    [1000, "1 second"],
    [59_000, "59 seconds"],
    [60_000, "About a minute"],
    [125_000, "2 minutes"],
    [3_600_000, "About an hour"],
    [3 * 3_600_000, "3 hours"],
    [47 * 3_600_000, "47 hours"],
    [48 * 3_600_000, "2 days"],
    [15 * 86_400_000, "2 weeks"],
    [61 * 86_400_000, "2 months"],
    [800 * 86_400_000, "2 years"],
  ];
  for (const [ms, want] of durations) assertEquals(humanDuration(ms), want, `${ms}`);
});
