/**
 * Reads ustar (and plain v7/GNU-compatible) tar archives held in memory: enough to check what
 * {@linkcode writeTar} wrote and to look inside an image archive. Extended headers (pax, GNU
 * long names) are reported as their own entries, not applied.
 *
 * @module
 */

/** One entry read back by {@linkcode readTar}. */
export interface ReadTarEntry {
  readonly path: string;
  /** The type flag character: `0` file, `2` symlink, `5` directory, … */
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSec: number;
  readonly linkTarget: string;
  readonly magic: string;
  readonly content: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

function text(block: Uint8Array, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return decoder.decode(end === -1 ? field : field.subarray(0, end));
}

function octal(block: Uint8Array, offset: number, width: number, path: string): number {
  const raw = text(block, offset, width).trim();
  if (raw === "") return 0;
  if (!/^[0-7]+$/.test(raw)) {
    throw new SyntaxError(`Cannot read tar entry "${path}": "${raw}" is not an octal number`);
  }
  return parseInt(raw, 8);
}

/** The header checksum: the byte sum with the checksum field counted as spaces. */
export function tarChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/** Reads every entry of `archive` up to the end-of-archive zero block. */
export function readTar(archive: Uint8Array): ReadTarEntry[] {
  const entries: ReadTarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) return entries;
    const name = text(block, 0, 100);
    const prefix = text(block, 345, 155);
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const stored = octal(block, 148, 8, path);
    if (stored !== tarChecksum(block)) {
      throw new SyntaxError(`Cannot read tar entry "${path}": header checksum mismatch`);
    }
    const size = octal(block, 124, 12, path);
    const start = offset + BLOCK;
    if (start + size > archive.length) {
      throw new SyntaxError(`Cannot read tar entry "${path}": the archive is truncated`);
    }
    entries.push({
      path,
      type: text(block, 156, 1) || "0",
      mode: octal(block, 100, 8, path),
      uid: octal(block, 108, 8, path),
      gid: octal(block, 116, 8, path),
      mtimeSec: octal(block, 136, 12, path),
      linkTarget: text(block, 157, 100),
      magic: text(block, 257, 6),
      content: archive.slice(start, start + size),
    });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new SyntaxError("Cannot read tar archive: it ends without the end-of-archive blocks");
}
