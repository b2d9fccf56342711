// Signal names and numbers as Docker accepts them (KILL, SIGKILL, 9).
import { invalidArgument } from "../../lib/errors.ts";

export const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
};

export function parseSignal(raw: string): number {
  const s = raw.trim().toUpperCase().replace(/^SIG/, "");
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw invalidArgument(`Invalid signal: ${raw}`);
    return n;
  }
  const rt = /^RTMIN(\+(\d+))?$/.exec(s);
  if (rt) return 34 + Number(rt[2] ?? 0);
  const n = SIGNALS[s];
  if (!n) throw invalidArgument(`Invalid signal: ${raw}`);
  return n;
}
