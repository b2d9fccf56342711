// Removes the netfilter rules a test daemon (or a test's Netfilter) left: the rules whose
// comment carries its mark. A daemon keeps its networks' rules when it stops, as dockerd does;
// a test that throws its data root away removes them with it.
import {
  ownerMark,
  parseSave,
  restoreScript,
  ruleTag,
} from "../../src/api/network/netfilter_rules.ts";

/** `owner`: the data root the daemon was given (what Netfilter's owner is made from). */
export async function removeRulesOf(owner: string): Promise<void> {
  const mark = ownerMark(owner);
  let text: string;
  try {
    const out = await new Deno.Command("iptables-save", { stdout: "piped", stderr: "null" })
      .output();
    text = new TextDecoder().decode(out.stdout);
  } catch {
    return; // no iptables here
  }
  const del = parseSave(text).rules.filter((r) => ruleTag(r)?.owner === mark);
  if (!del.length) return;
  const p = new Deno.Command("iptables-restore", {
    args: ["--noflush", "-w"],
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(restoreScript({ del })));
  await w.close();
  const out = await p.output();
  if (!out.success) {
    throw new Error(`removing the rules of ${owner}: ${new TextDecoder().decode(out.stderr)}`);
  }
}
