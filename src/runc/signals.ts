// Signal names and numbers (x86_64/arm64 Linux).
export const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/**
 * "KILL", "SIGKILL", "9", "RTMIN+2" → a signal number, as runc parses them; "0" sends
 * nothing and only checks that the container's process is there (kill(2)'s signal 0).
 */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 0 && n <= 64) return n;
  } else {
    const name = "SIG" + raw.toUpperCase().replace(/^SIG/, "");
    if (name in SIGNAL_NUMBERS) return SIGNAL_NUMBERS[name];
    if (name === "SIGIOT") return 6;
    if (name === "SIGPOLL") return 29;
    const min = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
    if (min && Number(min[1] ?? 0) <= 30) return 34 + Number(min[1] ?? 0);
    const max = /^SIGRTMAX(?:-(\d+))?$/.exec(name);
    if (max && Number(max[1] ?? 0) <= 30) return 64 - Number(max[1] ?? 0);
  }
  throw new Error(`unknown signal "${raw}"`);
}
