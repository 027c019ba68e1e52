/**
 * Reads one file out of a zip archive with `node:zlib` alone (no `unzip` on CI machines): the
 * end-of-central-directory record names the central directory, whose entry for the file gives
 * its local header, compression method (stored or deflated), sizes and CRC-32, which is checked.
 * Zip64 archives (over 4 GiB) are refused.
 *
 * @module
 */
import { crc32, inflateRawSync } from "node:zlib";

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;

/** The offset of the end-of-central-directory record, found from the end. */
function findEndRecord(zip: DataView): number {
  const last = zip.byteLength - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (zip.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw new SyntaxError("Cannot read zip archive: no end of central directory record");
}

/**
 * The bytes of the file `name` in the zip archive `zip`.
 *
 * @example Read a file from a zip
 * ```ts ignore
 * const data = readZipEntry(await Deno.readFile("layer.zip"), "helm/helm");
 * ```
 */
export function readZipEntry(zip: Uint8Array, name: string): Uint8Array<ArrayBuffer> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  if (zip.byteLength < EOCD_SIZE) {
    throw new SyntaxError(`Cannot read zip archive: ${zip.byteLength} bytes is too short`);
  }
  const end = findEndRecord(view);
  const entries = view.getUint16(end + 10, true);
  const directoryOffset = view.getUint32(end + 16, true);
  if (entries === 0xffff || directoryOffset === 0xffffffff) {
    throw new RangeError("Cannot read zip archive: zip64 archives are not supported");
  }
  const decoder = new TextDecoder();
  let at = directoryOffset;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > zip.byteLength || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new SyntaxError(`Cannot read zip archive: central directory entry ${i} is corrupt`);
    }
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const entryName = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (entryName !== name) continue;
    if (view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) {
      throw new SyntaxError(`Cannot read zip entry "${name}": its local header is corrupt`);
    }
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) +
      view.getUint16(localOffset + 28, true);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Uint8Array<ArrayBuffer>;
    if (method === STORED) data = new Uint8Array(raw);
    else if (method === DEFLATED) data = new Uint8Array(inflateRawSync(raw));
    else {
      throw new RangeError(
        `Cannot read zip entry "${name}": compression method ${method} is not supported`,
      );
    }
    if (data.byteLength !== size || crc32(data) !== crc) {
      throw new SyntaxError(
        `Cannot read zip entry "${name}": size or CRC-32 differs from the central directory`,
      );
    }
    return data;
  }
  throw new RangeError(`Cannot read zip entry "${name}": the archive has no such file`);
}
