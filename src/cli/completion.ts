// Shell completion from the command table, the way docker's CLI (cobra) does it: the shell
// scripts `engine completion bash|zsh|fish` prints are thin; on each TAB they run
// `engine __complete -- WORDS…` (the words typed so far, the last one being completed),
// which answers one candidate a line ("value<TAB>description") and a last line ":N"
// (N & 4: do not fall back to file names). Container, image, network and volume names
// come from the daemon the command line points at (-H, DOCKER_HOST).

import { type CommandDef, type GlobalOptions, type Invocation, PROGRAM } from "./command.ts";
import { EngineClient } from "./client.ts";
import { type FlagSpec, parseFlags } from "./flags.ts";
import { COMMANDS, findCommand, groupCommands, GROUPS } from "./command_table/mod.ts";
import { GLOBAL_FLAGS } from "./main.ts";

type Names = "containers" | "images" | "networks" | "volumes";
/** What a word completes to: names from the daemon, fixed words, file names, or nothing. */
type Kind = Names | "any" | "file" | "none" | { words: string[] };

const NO_FILES = 4;

/** The layers main.ts runs besides the CLI verbs. */
const LAYERS: Record<string, string> = {
  daemon: "Run the daemon (the Engine API)",
  containerd: "Run containerd",
  shim: "Run a container's shim",
  runc: "Run the OCI runtime",
  check: "Check this host for what the engine needs",
};

/** Flags whose values are names or fixed words (others: file names). */
const FLAG_VALUES: Record<string, Kind> = {
  network: "networks",
  net: "networks",
  "volumes-from": "containers",
  "log-driver": { words: ["json-file", "local", "none"] },
  restart: { words: ["no", "always", "on-failure", "unless-stopped"] },
  pull: { words: ["always", "missing", "never"] },
  runtime: { words: ["engine", "runc", "crun"] },
  "log-level": { words: ["debug", "info", "warn", "error", "fatal"] },
  format: "none",
  filter: "none",
  name: "none",
};

/** The kind of each positional from a usage line: "[OPTIONS] NETWORK CONTAINER". */
export function positionalKinds(usage: string): { kinds: Kind[]; repeat: boolean } {
  const tokens = usage.split(" ").filter((t) => t && t !== "[OPTIONS]");
  const kinds = tokens.map((t): Kind => {
    const w = t.replace(/[[\]]/g, "");
    if (/^CONTAINER/.test(w)) return "containers";
    if (/^(IMAGE|SOURCE_IMAGE|TARGET_IMAGE|NAME\[:TAG|REPOSITORY)/.test(w)) return "images";
    if (/^NETWORK/.test(w)) return "networks";
    if (/^VOLUME/.test(w)) return "volumes";
    if (/^NAME\|ID/.test(w)) return "any";
    if (/^(bash\|zsh)/.test(w)) return { words: w.split("|") };
    if (/^(COMMAND|ARG|PATH|DEST_PATH|file)/.test(w) || w.includes("PATH")) return "file";
    return "none";
  });
  return { kinds, repeat: tokens.length > 0 && tokens[tokens.length - 1].endsWith("...]") };
}

interface Candidate {
  value: string;
  help?: string;
}

interface Answer {
  candidates: Candidate[];
  directive: number;
}

const flagCandidates = (flags: FlagSpec[]): Candidate[] =>
  flags.filter((f) => !f.hidden).flatMap((f) => [
    { value: `--${f.name}`, help: f.help },
    ...(f.short ? [{ value: `-${f.short}`, help: f.help }] : []),
  ]);

function topLevel(): Candidate[] {
  const out: Candidate[] = Object.entries(GROUPS).map(([g, help]) => ({ value: g, help }));
  for (const def of COMMANDS) {
    for (const form of [def.path, ...(def.aliases ?? [])]) {
      if (!form.includes(" ") && !form.startsWith("__") && !out.some((c) => c.value === form)) {
        out.push({ value: form, help: def.short });
      }
    }
  }
  for (const [value, help] of Object.entries(LAYERS)) out.push({ value, help });
  return out.sort((a, b) => (a.value < b.value ? -1 : 1));
}

/** `engine daemon`'s flags (its option table, loaded only when completing it). */
async function daemonFlags(): Promise<FlagSpec[]> {
  const { OPTIONS } = await import("../lib/daemon_options.ts");
  return OPTIONS.map((o) => ({
    name: o.flag,
    short: o.short,
    type: o.kind === "bool" ? "bool" : "string",
    help: o.help,
  }));
}

/** Completes `words` (everything after the program name; the last is being typed). */
export async function complete(words: string[]): Promise<Answer> {
  const cur = words[words.length - 1] ?? "";
  const before = words.slice(0, -1);
  const globalValued = new Set(
    GLOBAL_FLAGS.filter((f) => f.type !== "bool").flatMap((f) => [
      `--${f.name}`,
      ...(f.short ? [`-${f.short}`] : []),
    ]),
  );
  // The global flags, then the command path.
  let i = 0;
  const globalWords: string[] = [];
  while (i < before.length && before[i].startsWith("-")) {
    globalWords.push(before[i]);
    if (globalValued.has(before[i]) && i + 1 < before.length) globalWords.push(before[++i]);
    i++;
  }
  if (i === before.length) {
    if (globalValued.has(before[i - 1] ?? "")) {
      return flagValue(before[i - 1].replace(/^-+/, ""), cur, globalWords);
    }
    const list = cur.startsWith("-") ? flagCandidates(GLOBAL_FLAGS) : topLevel();
    return { candidates: list, directive: NO_FILES };
  }
  let path = before[i++];
  if (GROUPS[path]) {
    if (i === before.length) {
      const subs = groupCommands(path).map(([value, help]) => ({ value, help }));
      return { candidates: subs, directive: NO_FILES };
    }
    path = `${path} ${before[i++]}`;
  }
  let flags: FlagSpec[];
  let positional = { kinds: [] as Kind[], repeat: false };
  let interspersed = true;
  const def: CommandDef | undefined = findCommand(path);
  if (def) {
    flags = def.flags;
    positional = positionalKinds(def.usage);
    interspersed = def.interspersed ?? true;
  } else if (path === "daemon") flags = await daemonFlags();
  else return { candidates: [], directive: path in LAYERS ? 0 : NO_FILES };

  // The command's flags and positionals so far.
  const valued = new Map(
    flags.filter((f) => f.type !== "bool").flatMap((f) =>
      [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])].map((k) => [k, f] as const)
    ),
  );
  let npos = 0;
  let flagsDone = false;
  let pendingValue: FlagSpec | undefined;
  for (; i < before.length; i++) {
    const w = before[i];
    if (pendingValue) {
      pendingValue = undefined;
      continue;
    }
    if (!flagsDone && w === "--") flagsDone = true;
    else if (!flagsDone && w.startsWith("-") && w !== "-") {
      if (!w.includes("=")) pendingValue = valued.get(w);
    } else {
      npos++;
      if (!interspersed) flagsDone = true;
    }
  }
  if (pendingValue) return flagValue(pendingValue.name, cur, globalWords);
  if (!flagsDone && cur.startsWith("--") && cur.includes("=")) {
    const name = cur.slice(2, cur.indexOf("="));
    if (valued.has(`--${name}`)) {
      const ans = await flagValue(name, cur.slice(cur.indexOf("=") + 1), globalWords);
      return {
        ...ans,
        candidates: ans.candidates.map((c) => ({ ...c, value: `--${name}=${c.value}` })),
      };
    }
  }
  if (!flagsDone && cur.startsWith("-")) {
    return { candidates: flagCandidates(flags), directive: NO_FILES };
  }
  const { kinds, repeat } = positional;
  const kind = npos < kinds.length
    ? kinds[npos]
    : repeat && kinds.length
    ? kinds[kinds.length - 1]
    : (interspersed ? "none" : "file");
  return kindAnswer(kind, globalWords);
}

function flagValue(name: string, _cur: string, globalWords: string[]): Promise<Answer> {
  return kindAnswer(FLAG_VALUES[name] ?? "file", globalWords);
}

async function kindAnswer(kind: Kind, globalWords: string[]): Promise<Answer> {
  if (kind === "file") return { candidates: [], directive: 0 };
  if (kind === "none") return { candidates: [], directive: NO_FILES };
  if (typeof kind === "object") {
    return { candidates: kind.words.map((value) => ({ value })), directive: NO_FILES };
  }
  const kinds: Names[] = kind === "any" ? ["containers", "images", "networks", "volumes"] : [kind];
  const candidates: Candidate[] = [];
  for (const k of kinds) {
    for (const value of await names(k, globalWords)) candidates.push({ value });
  }
  return { candidates, directive: NO_FILES };
}

/** A TAB waits this long for the daemon's names at most (the process exits right after). */
const NAMES_TIMEOUT_MS = 3000;

/** Names from the daemon; none when it does not answer (in time). */
function names(kind: Names, globalWords: string[]): Promise<string[]> {
  let timer: ReturnType<typeof setTimeout>;
  const late = new Promise<string[]>((r) => (timer = setTimeout(() => r([]), NAMES_TIMEOUT_MS)));
  return Promise.race([daemonNames(kind, globalWords), late]).finally(() => clearTimeout(timer));
}

async function daemonNames(kind: Names, globalWords: string[]): Promise<string[]> {
  let g;
  try {
    g = parseFlags(GLOBAL_FLAGS, globalWords).flags;
  } catch {
    return [];
  }
  const globals: Partial<GlobalOptions> = {
    tls: g.bool("tls"),
    tlsverify: g.bool("tlsverify"),
    tlscacert: g.string("tlscacert"),
    tlscert: g.string("tlscert"),
    tlskey: g.string("tlskey"),
  };
  using client = EngineClient.fromEnvironment(g.list("host"), globals as GlobalOptions);
  try {
    switch (kind) {
      case "containers": {
        const list = await client.json<{ Names?: string[] }[]>("GET", "/containers/json", {
          query: { all: true },
        });
        return list.flatMap((c) => (c.Names ?? []).map((n) => n.replace(/^\//, "")));
      }
      case "images": {
        const list = await client.json<{ RepoTags?: string[] | null }[]>("GET", "/images/json");
        return list.flatMap((i) => i.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
      }
      case "networks": {
        const list = await client.json<{ Name: string }[]>("GET", "/networks");
        return list.map((n) => n.Name);
      }
      case "volumes": {
        const res = await client.json<{ Volumes?: { Name: string }[] | null }>("GET", "/volumes");
        return (res.Volumes ?? []).map((v) => v.Name);
      }
    }
  } catch {
    return [];
  }
}

/** `engine __complete -- WORDS…`: the candidates for the last word, then ":directive". */
export async function completeVerb(inv: Invocation): Promise<number> {
  const { candidates, directive } = await complete(inv.args);
  const cur = inv.args[inv.args.length - 1] ?? "";
  const lines = candidates.filter((c) => c.value.startsWith(cur)).map((c) =>
    c.help ? `${c.value}\t${c.help.split("\n")[0]}` : c.value
  );
  const text = [...new Set(lines)].join("\n");
  await Deno.stdout.write(new TextEncoder().encode(`${text}${text ? "\n" : ""}:${directive}\n`));
  return 0;
}

/** `engine completion bash|zsh|fish`. */
export async function completionVerb(inv: Invocation): Promise<number> {
  const shell = inv.args[0];
  const script = SCRIPTS[shell];
  if (!script) throw new Error(`unsupported shell "${shell}": bash, zsh or fish`);
  await Deno.stdout.write(new TextEncoder().encode(script));
  return 0;
}

const BASH = `# bash completion for ${PROGRAM}            -*- shell-script -*-
# Generated by \`${PROGRAM} completion bash\`. Each TAB runs \`${PROGRAM} __complete\`, which
# answers from the CLI's command table (and the daemon, for names). Install it as
# /usr/share/bash-completion/completions/${PROGRAM}, or source it from ~/.bashrc.

_${PROGRAM}() {
  local line=\${COMP_LINE:0:COMP_POINT} words out c directive
  # Split the line ourselves: COMP_WORDS is also split at = and : (--network=x, image:tag).
  read -ra words <<<"$line"
  [[ $line == *[[:space:]] || \${#words[@]} -eq 0 ]] && words+=("")
  out=$("\${words[0]}" __complete -- "\${words[@]:1}" 2>/dev/null) || return 0
  directive=\${out##*:}
  out=\${out%:*}
  # Readline replaces only what follows the last word-break character (= and : by default),
  # so the candidates lose what precedes it.
  local word=\${words[\${#words[@]}-1]} brk= strip=
  [[ $COMP_WORDBREAKS == *=* ]] && brk+="="
  [[ $COMP_WORDBREAKS == *:* ]] && brk+=":"
  [[ -n $brk && $word == *[$brk]* ]] && strip=\${word%"\${word##*[$brk]}"}
  COMPREPLY=()
  while IFS= read -r c; do
    [ -n "$c" ] || continue
    c=\${c%%$'\\t'*}
    COMPREPLY+=("\${c#"$strip"}")
  done <<<"$out"
  if [ \${#COMPREPLY[@]} -eq 0 ] && [ $((directive & 4)) -eq 0 ]; then
    compopt -o default 2>/dev/null
  fi
  return 0
}
complete -F _${PROGRAM} ${PROGRAM}
`;

const ZSH = `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM}, generated by \`${PROGRAM} completion zsh\`. Each TAB runs
# \`${PROGRAM} __complete\` (the CLI's command table, and the daemon for names). Put it in a
# directory of $fpath as _${PROGRAM}, or source it after compinit.

_${PROGRAM}() {
  local out directive line value
  local -a lines items
  out=$("\${words[1]}" __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  for line in "\${(@)lines[1,-2]}"; do
    [[ -n $line ]] || continue
    value=\${line%%$'\\t'*}
    if [[ $line == *$'\\t'* ]]; then
      items+=("\${value//:/\\\\:}:\${line#*$'\\t'}")
    else
      items+=("\${value//:/\\\\:}")
    fi
  done
  if (( \${#items} )); then
    _describe -t ${PROGRAM} '${PROGRAM}' items
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}

if [[ $funcstack[1] == _${PROGRAM} ]]; then
  _${PROGRAM} "$@"
else
  compdef _${PROGRAM} ${PROGRAM}
fi
`;

const FISH =
  `# fish completion for ${PROGRAM}, generated by \`${PROGRAM} completion fish\`. Each TAB runs
# \`${PROGRAM} __complete\` (the CLI's command table, and the daemon for names). Install it as
# ~/.config/fish/completions/${PROGRAM}.fish.

function __${PROGRAM}_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (command $words[1] __complete -- $words[2..-1] $cur 2>/dev/null)
    or return
    set -l directive (string replace ':' '' -- $out[-1])
    set -e out[-1]
    if test (count $out) -gt 0
        printf '%s\\n' $out
    else if test (math "$directive % 8 - $directive % 4") -eq 0
        __fish_complete_path $cur
    end
end

complete -c ${PROGRAM} -f -a '(__${PROGRAM}_complete)'
`;

const SCRIPTS: Record<string, string> = { bash: BASH, zsh: ZSH, fish: FISH };
