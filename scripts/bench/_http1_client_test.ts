import assert from "node:assert/strict";
import { Http1Connection, type Http1Transport } from "./_http1_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A transport that answers reads with `pieces` in order (each split to fit the buffer). */
class ScriptedTransport implements Http1Transport {
  readonly written: string[] = [];
  readonly #pieces: Uint8Array[];
  closed = false;

  constructor(pieces: Uint8Array[]) {
    this.#pieces = [...pieces];
  }

  read(p: Uint8Array): Promise<number | null> {
    const next = this.#pieces.shift();
    if (next === undefined) return Promise.resolve(null);
    const n = Math.min(p.length, next.length);
    p.set(next.subarray(0, n));
    if (n < next.length) this.#pieces.unshift(next.subarray(n));
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    this.written.push(decoder.decode(p));
    return Promise.resolve(p.length);
  }

  close(): void {
    this.closed = true;
  }
}

/** `bytes` in pieces of `size` bytes. */
function piecesOf(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const HEAD_CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

Deno.test("Http1Connection reads keep-alive responses, in any pieces", async () => {
  const big = "x".repeat(40_000); // larger than the read buffer
  const wire = encoder.encode(
    `HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello` +
      `${HEAD_CHUNKED}3\r\nabc\r\n9c40\r\n${big}\r\n0\r\n\r\n` +
      `HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno`,
  );
  for (const size of [1, 7, 1000, wire.length]) {
    const t = new ScriptedTransport(piecesOf(wire, size));
    const c = new Http1Connection(t, "h:1");
    const [a, b, d] = await Promise.all([
      c.request("POST", "/a", encoder.encode("{}")),
      c.request("GET", "/b"),
      c.request("GET", "/c"),
    ]);
    assert.deepEqual([a.status, decoder.decode(a.body)], [201, "hello"], `pieces of ${size}`);
    assert.equal(b.status, 200);
    assert.equal(decoder.decode(b.body), `abc${big}`);
    assert.deepEqual([d.status, decoder.decode(d.body)], [404, "no"]);
    assert.match(t.written[0] ?? "", /^POST \/a HTTP\/1\.1\r\nHost: h:1\r\n[^]*\r\n\r\n\{\}$/);
  }
});

Deno.test("Http1Connection.watch() delivers each whole line, framing cut anywhere", async () => {
  const lines = [
    '{"type":"ADDED","object":{"metadata":{"name":"a"}}}',
    `{"type":"MODIFIED","object":{"metadata":{"name":"ü","x":"${"y".repeat(20_000)}"}}}`,
    '{"type":"DELETED","object":{"metadata":{"name":"c"}}}',
  ];
  const text = lines.map((l) => `${l}\n`).join("");
  // Chunks that end inside lines and inside a multi-byte character.
  const bytes = encoder.encode(text);
  const chunks = [bytes.subarray(0, 20), bytes.subarray(20, 102), bytes.subarray(102)];
  const parts: Uint8Array[] = [encoder.encode(HEAD_CHUNKED)];
  for (const c of chunks) {
    parts.push(encoder.encode(`${c.length.toString(16)}\r\n`), c, encoder.encode("\r\n"));
  }
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    body.set(p, off);
    off += p.length;
  }
  for (const size of [1, 3, 17, 4096, body.length]) {
    const got: string[] = [];
    const c = new Http1Connection(new ScriptedTransport(piecesOf(body, size)), "h:1");
    await c.watch("/w?watch=true", (l) => void got.push(l));
    assert.deepEqual(got, lines, `pieces of ${size}`);
    const raw: string[] = [];
    const c2 = new Http1Connection(new ScriptedTransport(piecesOf(body, size)), "h:1");
    await c2.watchBytes("/w?watch=true", (b, start, end) => {
      raw.push(decoder.decode(b.subarray(start, end)));
    });
    assert.deepEqual(raw, lines, `bytes, pieces of ${size}`);
  }
});

Deno.test("Http1Connection.watch() stops when onLine returns false", async () => {
  const body = encoder.encode(`${HEAD_CHUNKED}4\r\na\nb\n\r\n2\r\nc\n\r\n`);
  const got: string[] = [];
  const c = new Http1Connection(new ScriptedTransport([body]), "h:1");
  await c.watch("/w", (l) => {
    got.push(l);
    return false;
  });
  assert.deepEqual(got, ["a"]);
});

Deno.test("Http1Connection.watch() rejects a watch that is not answered 200", async () => {
  const c = new Http1Connection(
    new ScriptedTransport([encoder.encode("HTTP/1.1 410 Gone\r\nContent-Length: 0\r\n\r\n")]),
    "h:1",
  );
  await assert.rejects(c.watch("/w", () => {}), /Watch answered 410/);
});
