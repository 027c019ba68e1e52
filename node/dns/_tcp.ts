/**
 * DNS over TCP framing (RFC 1035 §4.2.2: a two-byte length before each message) and the
 * read/write helpers the listener and the upstream transport share.
 *
 * @module
 */

/** Reads exactly `n` bytes from `conn` (undefined at end of stream). */
export async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const read = await conn.read(out.subarray(got));
    if (read === null) return undefined;
    got += read;
  }
  return out;
}

/** Writes all of `bytes` to `conn`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
}

/** `message` with its two-byte length prefix (DNS over TCP). */
export function frameTcpMessage(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(message.byteLength + 2);
  framed[0] = message.byteLength >> 8;
  framed[1] = message.byteLength & 0xff;
  framed.set(message, 2);
  return framed;
}
