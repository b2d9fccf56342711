// Is an ELF executable statically linked? (No PT_INTERP program header.) Pure, on bytes.

const PT_INTERP = 3;

/** true: static; false: dynamic; null: not a (complete) 64- or 32-bit ELF header. */
export function isStaticElf(bytes: Uint8Array): boolean | null {
  if (bytes.length < 52) return null;
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return null;
  }
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = is64 ? Number(v.getBigUint64(32, little)) : v.getUint32(28, little);
  const phentsize = v.getUint16(is64 ? 54 : 42, little);
  const phnum = v.getUint16(is64 ? 56 : 44, little);
  if (phentsize === 0 || phoff + phnum * phentsize > bytes.length) return null;
  for (let i = 0; i < phnum; i++) {
    if (v.getUint32(phoff + i * phentsize, little) === PT_INTERP) return false;
  }
  return true;
}
