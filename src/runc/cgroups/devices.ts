// The v1 devices controller allowlist from `linux.resources.devices`, computed the way
// runc's devices emulator does it: rules apply in order, an all-devices rule (type "a")
// resets the default, other rules add to or take from the exceptions to it. The cgroup is
// then written as "a" to devices.deny (default deny) or devices.allow (default allow),
// followed by each exception, in order.

import { invalidArgument } from "../../lib/errors.ts";

/** An OCI `linux.resources.devices` entry. */
export interface DeviceRule {
  allow: boolean;
  /** "a" (all), "c" or "b"; absent means "a". */
  type?: string;
  /** null or absent means any (`*`). */
  major?: number | null;
  minor?: number | null;
  /** Some of "rwm"; absent means "rwm". */
  access?: string;
}

export interface DeviceWrites {
  /** true: `a` goes to devices.allow, exceptions to devices.deny. */
  defaultAllow: boolean;
  /** Exception rules in cgroup syntax (`c 1:3 rwm`), in order. */
  exceptions: string[];
}

/** The device rules runc 1.1 appends after the spec's own (specconv.AllowedDevices). */
export const DEFAULT_ALLOWED_DEVICES: readonly DeviceRule[] = [
  { allow: true, type: "c", major: null, minor: null, access: "m" },
  { allow: true, type: "b", major: null, minor: null, access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // /dev/null
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // /dev/random
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // /dev/full
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // /dev/tty
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // /dev/zero
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // /dev/urandom
  { allow: true, type: "c", major: 136, minor: null, access: "rwm" }, // /dev/pts/*
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // /dev/ptmx
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }, // /dev/net/tun
];

/** `c 1:3 rwm`, with `*` for a wildcard major or minor. */
export function ruleString(rule: DeviceRule): string {
  const type = rule.type ?? "a";
  if (!["a", "b", "c"].includes(type)) {
    throw invalidArgument(`device rule: invalid type ${JSON.stringify(type)}`);
  }
  const access = rule.access ?? "rwm";
  if (!/^[rwm]{1,3}$/.test(access) || new Set(access).size !== access.length) {
    throw invalidArgument(`device rule: invalid access ${JSON.stringify(access)}`);
  }
  const num = (n: number | null | undefined, what: string) => {
    if (n === null || n === undefined || n === -1) return "*";
    if (!Number.isInteger(n) || n < 0) throw invalidArgument(`device rule: invalid ${what} ${n}`);
    return String(n);
  };
  return `${type} ${num(rule.major, "major")}:${num(rule.minor, "minor")} ${access}`;
}

/** A default action and its exceptions, each with the action opposite to the default. */
export interface DeviceRuleSet {
  defaultAllow: boolean;
  /** Rules of type "c" or "b", one per device (type, major, minor), in first-seen order. */
  exceptions: DeviceRule[];
}

const ACCESS_ORDER = "rwm";

/**
 * Folds the rules into a default and its exceptions the way runc's devices emulator does:
 * an "a" rule resets the default; a rule against the default adds its access to the
 * device's exception; a rule with the default's action takes its access away from the
 * exception for exactly that device, and is refused when a wildcard exception (c *:*,
 * c 1:*, c *:3) would keep part of it (cgroup v1 cannot punch holes; silently ignoring it
 * would leave the access allowed). The v1 cgroup writes and the v2 device program
 * (device_filter.ts) both start from this.
 */
export function deviceRuleSet(rules: readonly DeviceRule[]): DeviceRuleSet {
  let defaultAllow = false;
  let exceptions = new Map<string, { rule: DeviceRule; access: Set<string> }>();
  const key = (type: string, major: string, minor: string) => `${type} ${major}:${minor}`;
  for (const rule of rules) {
    const [type, nums, access] = ruleString(rule).split(" ");
    const [major, minor] = nums.split(":");
    if (type === "a") {
      defaultAllow = rule.allow;
      exceptions = new Map();
      continue;
    }
    const k = key(type, major, minor);
    if (rule.allow !== defaultAllow) {
      const e = exceptions.get(k) ?? { rule, access: new Set<string>() };
      for (const c of access) e.access.add(c);
      exceptions.set(k, e);
      continue;
    }
    for (const wider of [key(type, "*", minor), key(type, major, "*"), key(type, "*", "*")]) {
      const w = exceptions.get(wider);
      if (wider !== k && w && [...access].some((c) => w.access.has(c))) {
        throw invalidArgument(
          `device rule ${ruleString(rule)} cannot take access away from the wider rule ` +
            `${wider} ${[...w.access].join("")} (cgroup v1 cannot punch holes in wildcard rules)`,
        );
      }
    }
    const e = exceptions.get(k);
    if (!e) continue;
    for (const c of access) e.access.delete(c);
    if (e.access.size === 0) exceptions.delete(k);
  }
  return {
    defaultAllow,
    exceptions: [...exceptions.values()].map(({ rule, access }) => ({
      ...rule,
      access: [...ACCESS_ORDER].filter((c) => access.has(c)).join(""),
    })),
  };
}

/** The rule set in v1 cgroup syntax: the default and the exceptions as `c 1:3 rwm`. */
export function deviceWrites(rules: readonly DeviceRule[]): DeviceWrites {
  const { defaultAllow, exceptions } = deviceRuleSet(rules);
  return { defaultAllow, exceptions: exceptions.map(ruleString) };
}
