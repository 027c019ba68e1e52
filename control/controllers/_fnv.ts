/**
 * 32-bit FNV-1 (Go's `hash/fnv.New32`: multiply, then xor), the hash upstream names
 * ControllerRevisions with.
 *
 * @module
 */

/** The FNV-32 offset basis: the hash of no bytes. */
export const FNV32_OFFSET_BASIS = 0x811c9dc5;

/** FNV-1 over `bytes`, continuing from `seed` (a previous result) when given. */
export function fnv1x32(bytes: Uint8Array, seed: number = FNV32_OFFSET_BASIS): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h;
}
