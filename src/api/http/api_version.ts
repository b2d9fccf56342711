// Engine API versions ("1.44") compared, for the answers that differ by the client's version.

/** Is API version `v` older than `than`? */
export function versionBelow(v: string, than: string): boolean {
  const [a, b] = v.split(".").map(Number);
  const [c, e] = than.split(".").map(Number);
  return a * 1000 + b < c * 1000 + e;
}
