// Snapshotter types, shaped like containerd's snapshots API.

import { invalidArgument } from "../../lib/errors.ts";

export type Kind = "committed" | "active" | "view";

export interface Info {
  /** The key (active/view) or name (committed). */
  name: string;
  /** The parent's name; committed snapshots only can be parents. */
  parent?: string;
  kind: Kind;
  labels: Record<string, string>;
  created: string;
  updated: string;
}

/** A mount as containerd describes it: `mount -t <type> -o <options> <source> <target>`. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export interface Usage {
  /** Bytes of the files (apparent sizes of all but directories), each inode once: lib/directory_size.ts. */
  size: number;
  /** Distinct inodes, directories included. */
  inodes: number;
}

export interface SnapshotOptions {
  labels?: Record<string, string>;
}

const MAX_KEY = 4096;
const MAX_LABELS_SIZE = 64 * 1024;

export function checkKey(key: string, what = "snapshot key"): void {
  if (typeof key !== "string" || key === "" || key.length > MAX_KEY || key.includes("\0")) {
    throw invalidArgument(`invalid ${what} ${JSON.stringify(key)?.slice(0, 80)}`);
  }
}

/** Labels are strings, bounded in total size (containerd caps each at 4 KiB). */
export function checkLabels(labels: Record<string, string> = {}): Record<string, string> {
  let total = 0;
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== "string" || k === "") throw invalidArgument(`invalid label ${k}`);
    if (k.length + v.length > 4096) throw invalidArgument(`label ${k.slice(0, 80)} too long`);
    total += k.length + v.length;
  }
  if (total > MAX_LABELS_SIZE) throw invalidArgument("labels too large");
  return { ...labels };
}
