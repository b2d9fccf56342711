// User and group resolution against the container's own /etc/passwd and /etc/group, with
// the rules of runc's libcontainer/user (GetExecUser, GetAdditionalGroups) that dockerd
// uses (daemon/oci_linux.go getUser). The files come from the rootfs through a reader the
// caller provides: no path is built here. Image metadata is untrusted (SECURITY.md class
// c): every id is bounds-checked and malformed lines are skipped, never read as 0.

import { invalidArgument } from "../../lib/errors.ts";
import { processOf, type SpecOpt } from "./spec.ts";

/** Reads a file of the container's rootfs ("/etc/passwd", "/etc/group"); null if absent. */
export type RootfsReader = (path: string) => string | null | Promise<string | null>;

/** The largest valid uid/gid: (uid_t)-1 is "no id" to the kernel. */
export const MAX_ID = 2 ** 32 - 2;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/** A decimal id in 0..MAX_ID, or undefined when `s` is not a number at all. */
function parseId(s: string, what: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_ID) {
    throw invalidArgument(`${what} ${s}: uids and gids must be in range 0-${MAX_ID}`);
  }
  return n;
}

/** A field that must be a valid id; a bad one makes the line unusable (null). */
function idField(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n <= MAX_ID ? n : null;
}

function lines(text: string, file: string): string[][] {
  if (text.length > MAX_FILE_BYTES) {
    throw invalidArgument(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
  }
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.split(":"));
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(text, "/etc/passwd")) {
    const uid = idField(f[2]);
    const gid = idField(f[3]);
    if (uid === null || gid === null) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? "" });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(text, "/etc/group")) {
    const gid = idField(f[2]);
    if (gid === null) continue;
    const members = (f[3] ?? "").split(",").map((m) => m.trim()).filter((m) => m !== "");
    out.push({ name: f[0], gid, members });
  }
  return out;
}

async function readPasswd(read: RootfsReader): Promise<PasswdEntry[]> {
  const text = await read("/etc/passwd");
  return text === null ? [] : parsePasswd(text);
}

async function readGroup(read: RootfsReader): Promise<GroupEntry[]> {
  const text = await read("/etc/group");
  return text === null ? [] : parseGroup(text);
}

/**
 * "user[:group]" where each part is a name or a number (GetExecUser): a name must exist
 * in the file; a number need not. Without an explicit group, the gid is the passwd
 * entry's and the supplementary groups are those listing the user as a member.
 * additionalGids starts with the primary gid (as moby and containerd do since
 * CVE-2023-25173).
 */
export async function resolveUser(spec: string, read: RootfsReader): Promise<ResolvedUser> {
  if (spec.includes("\0") || spec.length > 256) throw invalidArgument("invalid user spec");
  const colon = spec.indexOf(":");
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? "" : spec.slice(colon + 1);
  const uidArg = parseId(userArg, "user");
  const gidArg = groupArg === "" ? undefined : parseId(groupArg, "group");

  const users = await readPasswd(read);
  const match = users.find((u) =>
    userArg === "" ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg
  );
  let uid = 0;
  let gid = 0;
  if (match) {
    uid = match.uid;
    gid = match.gid;
  } else if (userArg !== "") {
    if (uidArg === undefined) {
      throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
    }
    uid = uidArg;
  }

  const sgids: number[] = [];
  if (groupArg !== "" || match) {
    const groups = await readGroup(read);
    if (groupArg !== "") {
      const g = groups.find((g) => gidArg !== undefined ? g.gid === gidArg : g.name === groupArg);
      if (g) gid = g.gid;
      else if (gidArg !== undefined) gid = gidArg;
      else {
        throw invalidArgument(
          `unable to find group ${groupArg}: no matching entries in group file`,
        );
      }
    } else {
      for (const g of groups) if (g.members.includes(match!.name)) sgids.push(g.gid);
    }
  }
  return { uid, gid, additionalGids: unique([gid, ...sgids]) };
}

/**
 * Docker's --group-add (GetAdditionalGroups): each entry is a group name or gid from the
 * container's /etc/group, or any gid in range.
 */
export async function resolveAdditionalGroups(
  groups: string[],
  read: RootfsReader,
): Promise<number[]> {
  if (groups.length === 0) return [];
  const entries = await readGroup(read);
  const out: number[] = [];
  for (const want of groups) {
    const g = entries.find((e) => e.name === want || String(e.gid) === want);
    if (g) {
      out.push(g.gid);
      continue;
    }
    const gid = parseId(want, "group");
    if (gid === undefined) {
      // dockerd's GetAdditionalGroups capitalizes this one (not the --user group's).
      throw invalidArgument(`Unable to find group ${want}: no matching entries in group file`);
    }
    out.push(gid);
  }
  return unique(out);
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}

/** process.user from "uid[:gid]" or "name[:group]" resolved in the rootfs. */
export function withUser(user: string, read: RootfsReader): SpecOpt {
  return async (spec) => {
    const resolved = await resolveUser(user, read);
    const p = processOf(spec);
    p.user = { ...p.user, ...resolved };
  };
}

/** Adds Docker's --group-add groups to process.user.additionalGids. */
export function withAdditionalGids(groups: string[], read: RootfsReader): SpecOpt {
  return async (spec) => {
    const gids = await resolveAdditionalGroups(groups, read);
    const p = processOf(spec);
    p.user.additionalGids = unique([...(p.user.additionalGids ?? [p.user.gid]), ...gids]);
  };
}
