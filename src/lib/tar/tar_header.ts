// Tar headers: the 512-byte ustar/GNU block, numeric fields (octal or base-256) and PAX
// extended records. Pure functions shared by the reader and the writer.

import { invalidArgument } from "../errors.ts";
import { concatBytes } from "../bytes.ts";

export const BLOCK = 512;

/** Entry types (typeflag). */
export const TypeFlag = {
  file: "0",
  oldFile: "\0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
  cont: "7",
  paxLocal: "x",
  paxGlobal: "g",
  gnuLongName: "L",
  gnuLongLink: "K",
} as const;

/** One archive entry, after PAX and GNU long-name records have been folded in. */
export interface TarHeader {
  name: string;
  /** One of TypeFlag's values (regular files are normalised to "0"). */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch; PAX may give fractions. */
  mtime: number;
  atime?: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.<key> records: raw values (binary allowed). */
  xattrs: Map<string, Uint8Array>;
}

/** Caps on what a header may make us hold in memory (SECURITY.md class e). */
export const Limits = {
  /** A PAX or GNU long-name/link record. */
  maxSpecialSize: 1 << 20,
  /** A path or link target, in bytes (PATH_MAX). */
  maxNameLength: 4096,
  /** Extended attributes per entry and per value (XATTR_SIZE_MAX). */
  maxXattrs: 128,
  maxXattrValue: 65536,
  /** The largest regular file: what a JS number holds exactly. */
  maxFileSize: Number.MAX_SAFE_INTEGER,
};

const dec = new TextDecoder("utf-8");
const enc = new TextEncoder();

/** A NUL-terminated string field. */
function str(b: Uint8Array, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return dec.decode(nul < 0 ? f : f.subarray(0, nul));
}

/** A numeric field: octal (space/NUL padded) or base-256 when the high bit is set. */
export function parseNumeric(b: Uint8Array, off: number, len: number, field: string): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    // Base-256, big-endian two's complement; the first byte's top bit is the marker.
    const negative = (f[0] & 0x40) !== 0;
    let v = BigInt(f[0] & 0x7f) - (negative ? 0x80n : 0n);
    for (let i = 1; i < f.length; i++) v = (v << 8n) | BigInt(f[i]);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw invalidArgument(`tar header: ${field} out of range`);
    }
    return Number(v);
  }
  let s = "";
  for (const c of f) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  s = s.trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) {
    throw invalidArgument(`tar header: invalid ${field} ${JSON.stringify(s)}`);
  }
  const v = parseInt(s, 8);
  if (!Number.isSafeInteger(v)) throw invalidArgument(`tar header: ${field} out of range`);
  return v;
}

/** Checks the header checksum (unsigned, or the signed variant some old tars wrote). */
function checksumOk(b: Uint8Array): boolean {
  const want = parseNumeric(b, 148, 8, "checksum");
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Parses one raw 512-byte header block (before PAX/GNU overrides are applied). */
export function parseHeaderBlock(b: Uint8Array): TarHeader {
  if (!checksumOk(b)) throw invalidArgument("tar header: bad checksum (not a tar stream?)");
  const magic = str(b, 257, 6);
  let name = str(b, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU ("ustar  ") uses that area otherwise.
  if (magic === "ustar" && b[263] === 0x30 && b[264] === 0x30) {
    const prefix = str(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  let type = String.fromCharCode(b[156]);
  if (type === TypeFlag.oldFile || type === TypeFlag.cont) type = TypeFlag.file;
  // Old tars mark directories only by a trailing slash on a regular-file entry.
  if (type === TypeFlag.file && name.endsWith("/")) type = TypeFlag.dir;
  return {
    name,
    type,
    mode: parseNumeric(b, 100, 8, "mode"),
    uid: parseNumeric(b, 108, 8, "uid"),
    gid: parseNumeric(b, 116, 8, "gid"),
    size: parseNumeric(b, 124, 12, "size"),
    mtime: parseNumeric(b, 136, 12, "mtime"),
    linkname: str(b, 157, 100),
    uname: str(b, 265, 32),
    gname: str(b, 297, 32),
    devmajor: parseNumeric(b, 329, 8, "devmajor"),
    devminor: parseNumeric(b, 337, 8, "devminor"),
    xattrs: new Map(),
  };
}

/** PAX records: "<len> <key>=<value>\n", len counting the whole record. Values stay bytes. */
export function parsePax(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0 || sp - off > 20) throw invalidArgument("tar: malformed PAX record length");
    const lenStr = dec.decode(data.subarray(off, sp));
    if (!/^[1-9][0-9]*$/.test(lenStr)) throw invalidArgument("tar: malformed PAX record length");
    const len = parseInt(lenStr, 10);
    const end = off + len;
    if (end > data.length || end <= sp + 1 || data[end - 1] !== 0x0a) {
      throw invalidArgument("tar: malformed PAX record");
    }
    const rec = data.subarray(sp + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw invalidArgument("tar: malformed PAX record (no key)");
    out.set(dec.decode(rec.subarray(0, eq)), rec.slice(eq + 1));
    off = end;
  }
  return out;
}

function paxNumber(v: Uint8Array, key: string, allowFraction: boolean): number {
  const s = dec.decode(v);
  const re = allowFraction ? /^-?[0-9]{1,19}(\.[0-9]{1,9})?$/ : /^[0-9]{1,19}$/;
  const n = Number(s);
  if (!re.test(s) || !Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) {
    throw invalidArgument(`tar: invalid PAX ${key} ${JSON.stringify(s)}`);
  }
  return n;
}

/** Applies PAX records to a header (the records win over the ustar fields). */
export function applyPax(h: TarHeader, pax: Map<string, Uint8Array>): void {
  for (const [key, v] of pax) {
    switch (key) {
      case "path":
        h.name = dec.decode(v);
        break;
      case "linkpath":
        h.linkname = dec.decode(v);
        break;
      case "size":
        h.size = paxNumber(v, key, false);
        break;
      case "uid":
        h.uid = paxNumber(v, key, false);
        break;
      case "gid":
        h.gid = paxNumber(v, key, false);
        break;
      case "mtime":
        h.mtime = paxNumber(v, key, true);
        break;
      case "atime":
        h.atime = paxNumber(v, key, true);
        break;
      case "uname":
        h.uname = dec.decode(v);
        break;
      case "gname":
        h.gname = dec.decode(v);
        break;
      default:
        if (key.startsWith("SCHILY.xattr.")) {
          if (h.xattrs.size >= Limits.maxXattrs) throw invalidArgument("tar: too many xattrs");
          if (v.length > Limits.maxXattrValue) throw invalidArgument(`tar: xattr ${key} too large`);
          h.xattrs.set(key.slice("SCHILY.xattr.".length), v);
        } else if (key.startsWith("GNU.sparse.")) {
          throw invalidArgument("tar: GNU sparse files are not supported");
        }
        // Anything else (ctime, comment, charset, LIBARCHIVE.*) carries nothing we apply.
    }
  }
}

// ---- encoding (writer) ----

/** Writes `s` into a field; false when it does not fit. */
function putStr(b: Uint8Array, off: number, len: number, s: string): boolean {
  const bytes = enc.encode(s);
  if (bytes.length > len) return false;
  b.set(bytes, off);
  return true;
}

/** Writes an octal field (len-1 digits + NUL); false when the value does not fit. */
function putOctal(b: Uint8Array, off: number, len: number, v: number): boolean {
  if (!Number.isInteger(v) || v < 0) return false;
  const s = v.toString(8);
  if (s.length > len - 1) return false;
  putStr(b, off, len, s.padStart(len - 1, "0"));
  return true;
}

/** Writes a base-256 field (GNU extension, read by every modern tar). */
function putBase256(b: Uint8Array, off: number, len: number, v: number): void {
  let x = BigInt(v);
  for (let i = len - 1; i > 0; i--) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] = 0x80;
}

export interface EncodedFields {
  block: Uint8Array;
  /** PAX records needed because a value does not fit the ustar fields. */
  pax: Map<string, string>;
}

/** Builds a ustar header block; what does not fit goes to `pax` for the caller to emit. */
export function encodeHeader(h: TarHeader): EncodedFields {
  const b = new Uint8Array(BLOCK);
  const pax = new Map<string, string>();
  if (!putStr(b, 0, 100, h.name)) {
    // Try the ustar prefix split at a slash: prefix ≤ 155 bytes, name ≤ 100 bytes.
    const bytes = enc.encode(h.name);
    let split = -1;
    for (let i = bytes.length - 1; i > 0; i--) {
      if (bytes[i] === 0x2f && i <= 155 && bytes.length - i - 1 <= 100 && bytes.length - i > 1) {
        split = i;
        break;
      }
    }
    if (split > 0) {
      b.set(bytes.subarray(split + 1), 0);
      b.set(bytes.subarray(0, split), 345);
    } else {
      pax.set("path", h.name);
      putStr(b, 0, 100, truncate(h.name, 100));
    }
  }
  putOctal(b, 100, 8, h.mode & 0o7777777);
  for (
    const [key, off, len, v] of [
      ["uid", 108, 8, h.uid],
      ["gid", 116, 8, h.gid],
      ["size", 124, 12, h.size],
    ] as const
  ) {
    if (!putOctal(b, off, len, v)) pax.set(key, String(v));
  }
  const whole = Math.floor(h.mtime);
  if (whole !== h.mtime) pax.set("mtime", h.mtime.toFixed(9).replace(/0+$/, ""));
  if (!putOctal(b, 136, 12, Math.max(0, whole))) {
    if (whole < 0) pax.set("mtime", String(h.mtime));
    else putBase256(b, 136, 12, whole);
  }
  b[156] = h.type.charCodeAt(0);
  if (!putStr(b, 157, 100, h.linkname)) {
    pax.set("linkpath", h.linkname);
    putStr(b, 157, 100, truncate(h.linkname, 100));
  }
  putStr(b, 257, 8, "ustar\x0000");
  if (!putStr(b, 265, 32, h.uname)) pax.set("uname", h.uname);
  if (!putStr(b, 297, 32, h.gname)) pax.set("gname", h.gname);
  if (!putOctal(b, 329, 8, h.devmajor)) putBase256(b, 329, 8, h.devmajor);
  if (!putOctal(b, 337, 8, h.devminor)) putBase256(b, 337, 8, h.devminor);
  // Values too large for octal: base-256 in the block as well, for readers without PAX.
  if (pax.has("uid")) putBase256(b, 108, 8, h.uid);
  if (pax.has("gid")) putBase256(b, 116, 8, h.gid);
  if (pax.has("size")) putBase256(b, 124, 12, h.size);
  setChecksum(b);
  return { block: b, pax };
}

export function setChecksum(b: Uint8Array): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  putStr(b, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
}

function truncate(s: string, max: number): string {
  let out = s;
  while (enc.encode(out).length > max) out = out.slice(0, -1);
  return out;
}

/** Serialises PAX records (string values, or bytes for xattrs). */
export function encodePax(records: Iterable<[string, string | Uint8Array]>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const v = typeof value === "string" ? enc.encode(value) : value;
    const body = enc.encode(` ${key}=`).length + v.length + 1;
    // The length prefix counts its own digits: grow until it is stable.
    let len = body + String(body).length;
    if (String(len).length !== String(len - body).length) len = body + String(len).length;
    const rec = new Uint8Array(len);
    const head = enc.encode(`${len} ${key}=`);
    rec.set(head, 0);
    rec.set(v, head.length);
    rec[len - 1] = 0x0a;
    parts.push(rec);
  }
  return concatBytes(parts);
}
