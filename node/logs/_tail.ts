/**
 * Finding where the last N lines of a CRI log file start, reading the file backwards in blocks
 * so a large file is never read whole.
 *
 * @module
 */
import { endsLogicalLine } from "./cri_log_parser.ts";

const NEWLINE = 0x0a;
/** Enough bytes of a line to hold its time, stream and tag. */
const HEAD_BYTES = 64;

/** Options of {@linkcode findTailStart}. */
export interface FindTailStartOptions {
  /** How many logical lines (joined `P` fragments count once) to keep; negative keeps all. */
  lines: number;
  /** Bytes read per step backwards. */
  blockBytes?: number;
}

/**
 * The offset where the last `options.lines` logical lines of `file` start. Bytes after the
 * last newline (a line still being written) and trailing fragments count with the tail.
 */
export async function findTailStart(
  file: Deno.FsFile,
  options: FindTailStartOptions,
): Promise<number> {
  const { lines } = options;
  if (lines < 0) return 0;
  const blockBytes = options.blockBytes ?? 64 * 1024;
  const size = (await file.stat()).size;
  // nextNewline: offset of the newline ending the line whose start we are looking for (-1: the
  // bytes after the last newline). carry: the first bytes after the current block.
  let nextNewline = -1;
  let carry = new Uint8Array(0);
  let counted = 0;
  let pos = size;
  const check = (lineStart: number, head: Uint8Array): number | undefined => {
    if (nextNewline >= 0 && endsLogicalLine(head)) {
      counted++;
      if (counted === lines + 1) return nextNewline + 1;
    }
    nextNewline = lineStart - 1;
    return undefined;
  };
  while (pos > 0) {
    const start = Math.max(0, pos - blockBytes);
    const block = new Uint8Array(pos - start);
    await readFully(file, block, start);
    const joined = concat(block, carry);
    for (let i = block.length - 1; i >= 0; i--) {
      if (block[i] !== NEWLINE) continue;
      const found = check(start + i + 1, joined.subarray(i + 1, i + 1 + HEAD_BYTES));
      if (found !== undefined) return found;
    }
    carry = joined.slice(0, HEAD_BYTES);
    pos = start;
  }
  const found = check(0, carry);
  return found ?? 0;
}

async function readFully(file: Deno.FsFile, into: Uint8Array, offset: number): Promise<void> {
  await file.seek(offset, Deno.SeekMode.Start);
  let at = 0;
  while (at < into.length) {
    const n = await file.read(into.subarray(at));
    if (n === null) {
      throw new Error(`Cannot read log file at offset ${offset + at}: unexpected end`);
    }
    at += n;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
