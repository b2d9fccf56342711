// `engine daemon` flags and daemon.json: every key, dockerd's conflict / unknown-key / type
// errors, defaults, and the validation of values.
import assert from "node:assert/strict";
import { parseDaemonArgs, type ParsedArgs } from "../../src/api/config.ts";
import { OPTIONS } from "../../src/lib/daemon_options.ts";

async function withFile<T>(json: unknown, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, typeof json === "string" ? json : JSON.stringify(json));
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

function opts(p: ParsedArgs) {
  assert.ok(!p.help);
  return p.opts;
}

const parseWith = (json: unknown, args: string[] = []) =>
  withFile(json, (f) => parseDaemonArgs(["--config-file", f, ...args]));

const EVERY_KEY = {
  "data-root": "/srv/engine",
  "exec-root": "/run/e2",
  hosts: ["unix:///run/e2/e.sock", "tcp://127.0.0.1:2375"],
  containerd: "/run/c.sock",
  runtimes: { fast: { path: "/usr/local/bin/fast" } },
  "default-runtime": "fast",
  "default-ipc-mode": "shareable",
  "default-shm-size": "32M",
  "live-restore": true,
  debug: true,
  "log-level": "warn",
  "log-format": "json",
  labels: ["zone=a", "tier=b"],
  "shutdown-timeout": 30,
  "max-concurrent-downloads": 6,
  "max-concurrent-uploads": 2,
  tls: true,
  tlsverify: true,
  tlscacert: "/etc/ca.pem",
  tlscert: "/etc/cert.pem",
  tlskey: "/etc/key.pem",
  "registry-mirrors": ["https://mirror.example"],
  "insecure-registries": ["10.0.0.0/8", "reg.local:5000"],
  "log-driver": "local",
  "log-opts": { "max-size": "5m", "max-file": "2" },
  bridge: "br-test",
  bip: "10.99.0.1/16",
  "default-address-pools": [{ base: "10.100.0.0/16", size: 24 }],
  iptables: false,
  "ip-masq": false,
  "userland-proxy": true,
  ip: "127.0.0.1",
  mtu: 1400,
  dns: ["10.0.0.53"],
  "dns-search": ["example.internal"],
  "dns-opts": ["ndots:2"],
};

Deno.test("daemon.json: every key is read", async () => {
  const o = opts(await parseWith(EVERY_KEY));
  assert.deepEqual(o, {
    dataRoot: "/srv/engine",
    execRoot: "/run/e2",
    hosts: ["unix:///run/e2/e.sock", "tcp://127.0.0.1:2375"],
    containerdSocket: "/run/c.sock",
    runtimes: { fast: "/usr/local/bin/fast" },
    defaultRuntime: "fast",
    defaultIpcMode: "shareable",
    defaultShmSize: 32 * 1024 * 1024,
    liveRestore: true,
    debug: true,
    logLevel: "warn",
    logFormat: "json",
    labels: ["zone=a", "tier=b"],
    shutdownTimeout: 30,
    maxConcurrentDownloads: 6,
    maxConcurrentUploads: 2,
    tls: true,
    tlsVerify: true,
    tlsCaCert: "/etc/ca.pem",
    tlsCert: "/etc/cert.pem",
    tlsKey: "/etc/key.pem",
    registryMirrors: ["https://mirror.example"],
    insecureRegistries: ["10.0.0.0/8", "reg.local:5000"],
    logDriver: "local",
    logOpts: { "max-size": "5m", "max-file": "2" },
    network: {
      bridgeName: "br-test",
      bip: "10.99.0.1/16",
      defaultAddressPools: [{ base: "10.100.0.0/16", size: 24 }],
      iptables: false,
      ipMasq: false,
      userlandProxy: true,
      defaultBindIp: "127.0.0.1",
      mtu: 1400,
      dns: ["10.0.0.53"],
      dnsSearch: ["example.internal"],
      dnsOptions: ["ndots:2"],
    },
  });
  // Every option with a file key is in the test above.
  const keys = OPTIONS.filter((o) => o.key !== null).map((o) => o.key ?? o.flag).sort();
  assert.deepEqual(Object.keys(EVERY_KEY).sort(), keys);
});

Deno.test("daemon flags: the same values from the command line", async () => {
  const o = opts(
    await parseWith({}, [
      "--data-root=/srv/engine",
      "-H",
      "unix:///a.sock",
      "-Htcp://127.0.0.1:1",
      "--add-runtime",
      "fast=/bin/fast",
      "--default-runtime",
      "fast",
      "-D",
      "--label",
      "a=1",
      "--log-opt",
      "max-size=1m",
      "--iptables=false",
      "--ip-masq",
      "--mtu",
      "9000",
      "-b",
      "br0",
      "--default-address-pool",
      "base=10.1.0.0/16,size=24",
    ]),
  );
  assert.equal(o.dataRoot, "/srv/engine");
  assert.deepEqual(o.hosts, ["unix:///a.sock", "tcp://127.0.0.1:1"]);
  assert.deepEqual(o.runtimes, { fast: "/bin/fast" });
  assert.equal(o.defaultRuntime, "fast");
  assert.equal(o.debug, true);
  assert.deepEqual(o.labels, ["a=1"]);
  assert.deepEqual(o.logOpts, { "max-size": "1m" });
  assert.equal(o.network.iptables, false);
  assert.equal(o.network.ipMasq, true);
  assert.equal(o.network.mtu, 9000);
  assert.equal(o.network.bridgeName, "br0");
  assert.deepEqual(o.network.defaultAddressPools, [{ base: "10.1.0.0/16", size: 24 }]);
});

Deno.test("daemon config: defaults for what is unset", async () => {
  const o = opts(await parseWith({}));
  assert.equal(o.dataRoot, "/var/lib/engine");
  assert.deepEqual(o.hosts, ["unix:///run/engine/engine.sock"]);
  assert.equal(o.containerdSocket, "/run/engine/containerd/containerd.sock");
  assert.equal(o.defaultRuntime, "engine");
  assert.equal(o.logDriver, "json-file");
  assert.equal(o.shutdownTimeout, 15);
  assert.equal(o.maxConcurrentDownloads, 3);
  assert.equal(o.network.bridgeName, "engine0");
  assert.equal(o.network.iptables, true);
});

Deno.test("daemon config: a named file that does not exist is an error", async () => {
  await assert.rejects(
    parseDaemonArgs(["--config-file", "/nonexistent/daemon.json"]),
    /unable to configure the daemon with file \/nonexistent\/daemon.json: .*No such file/,
  );
});

Deno.test("daemon config: a directive both as a flag and in the file is an error", async () => {
  await withFile({ debug: false, labels: ["a=1"] }, async (f) => {
    await assert.rejects(
      parseDaemonArgs(["--config-file", f, "--debug", "--label", "b=2", "--label", "c=3"]),
      (e: Error) => {
        assert.equal(
          e.message,
          `unable to configure the daemon with file ${f}: the following directives are ` +
            `specified both as a flag and in the configuration file: debug: (from flag: true, ` +
            `from file: false), labels: (from flag: [b=2 c=3], from file: [a=1])`,
        );
        return true;
      },
    );
  });
  // runtimes merge instead (dockerd's skipDuplicates).
  const o = opts(
    await parseWith({ runtimes: { a: { path: "/bin/a" } } }, ["--add-runtime", "b=/bin/b"]),
  );
  assert.deepEqual(o.runtimes, { a: "/bin/a", b: "/bin/b" });
});

Deno.test("daemon config: unknown keys and wrong types are errors", async () => {
  await assert.rejects(
    parseWith({ foo: 1, debug: true, bar: [] }),
    /the following directives don't match any configuration option: bar, foo$/,
  );
  await assert.rejects(parseWith({ debug: "yes" }), /debug: expected true or false, got "yes"/);
  await assert.rejects(parseWith({ mtu: "1500" }), /mtu: expected an integer/);
  await assert.rejects(parseWith({ dns: "1.1.1.1" }), /dns: expected a list of strings/);
  await assert.rejects(
    parseWith({ "log-opts": { "max-file": 3 } }),
    /log-opts: expected an object/,
  );
  await assert.rejects(parseWith("{not json"), /unable to configure the daemon with file/);
  await assert.rejects(parseWith("[]"), /must be a JSON object/);
  assert.equal(opts(await parseWith("")).dataRoot, "/var/lib/engine");
});

Deno.test("daemon config: values are validated", async () => {
  const bad: [unknown, RegExp][] = [
    [{ "log-level": "loud" }, /invalid logging level: loud/],
    [{ "log-format": "xml" }, /invalid log format: xml/],
    [{ labels: ["novalue"] }, /invalid label 'novalue'/],
    [{ labels: ["a=1", "a=2"] }, /conflict labels for a=2 and a=1/],
    [{ "registry-mirrors": ["ftp://m"] }, /invalid mirror: unsupported scheme "ftp"/],
    [{ "registry-mirrors": ["https://m/v2"] }, /path, query, or fragment/],
    [{ "insecure-registries": ["http://r"] }, /should not contain ':\/\/'/],
    [{ "log-driver": "syslog" }, /no log driver named 'syslog'/],
    [{ "log-opts": { "max-sise": "1m" } }, /unknown log opt 'max-sise' for json-file/],
    [{ "log-opts": { "max-file": "0" } }, /max-file cannot be less than 1/],
    [{ "default-runtime": "nope" }, /specified default runtime 'nope' does not exist/],
    [{ runtimes: { runc: { path: "/bin/x" } } }, /runtime name 'runc' is reserved/],
    [{ runtimes: { x: { path: "/bin/x", runtimeArgs: [] } } }, /runtimeArgs not supported/],
    [{ dns: ["dns.example"] }, /dns.example is not an ip address/],
    [{ "dns-search": ["bad domain"] }, /is not a valid domain/],
    [{ mtu: 0 }, /invalid default MTU: 0/],
    [{ "max-concurrent-downloads": -1 }, /invalid max concurrent downloads: -1/],
    [{ bip: "10.0.0.1" }, /invalid bip/],
    [{ "default-address-pools": [{ base: "10.0.0.0/16", size: 8 }] }, /invalid default address/],
    [{ "default-ipc-mode": "bogus" }, /default IPC mode setting \(bogus\) is invalid; use/],
    [{ "default-ipc-mode": "host" }, /IPC mode "host" is not supported as default value/],
    [{ "default-shm-size": "lots" }, /invalid size: 'lots'/],
  ];
  for (const [json, re] of bad) await assert.rejects(parseWith(json), re, JSON.stringify(json));
});

Deno.test("daemon flags: pflag's errors", async () => {
  await assert.rejects(parseWith({}, ["--nope"]), /unknown flag: --nope/);
  await assert.rejects(parseWith({}, ["--data-root"]), /flag needs an argument: --data-root/);
  await assert.rejects(parseWith({}, ["--iptables=maybe"]), /not a boolean/);
  await assert.rejects(parseWith({}, ["--mtu", "big"]), /not an integer/);
  assert.deepEqual(await parseDaemonArgs(["-h", "--config-file", "/nonexistent"]), { help: true });
});
