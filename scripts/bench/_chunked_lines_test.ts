import assert from "node:assert/strict";
import { BytePattern, ChunkedDecoder, LineSplitter } from "./_chunked_lines.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` as a chunked body, one chunk per part. */
function chunked(parts: string[], trailer = ""): string {
  return parts.map((p) => `${encoder.encode(p).length.toString(16)}\r\n${p}\r\n`).join("") +
    `0\r\n${trailer}\r\n`;
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const a of [...at, bytes.length]) {
    out.push(bytes.subarray(from, a));
    from = a;
  }
  return out;
}

/** Decodes `pieces` of a chunked body; the data and the bytes after the body. */
function decode(pieces: Uint8Array[]): { data: string; rest: string; done: boolean } {
  const data = new TextDecoder();
  let text = "";
  let rest = "";
  const d = new ChunkedDecoder((b, start, end) => {
    text += data.decode(b.subarray(start, end), { stream: true });
  });
  for (const p of pieces) {
    if (d.done) {
      rest += decoder.decode(p);
      continue;
    }
    // Fed as a range of a larger buffer, as the client does.
    const padded = new Uint8Array(p.length + 6).fill(0x7e);
    padded.set(p, 3);
    const used = d.push(padded, 3, 3 + p.length);
    rest += decoder.decode(padded.subarray(used, 3 + p.length));
  }
  return { data: text + data.decode(), rest, done: d.done };
}

Deno.test("BytePattern finds a byte string", () => {
  const hay = encoder.encode('{"a":"name","name":"x"}');
  const name = new BytePattern('"name":"');
  assert.equal(name.indexIn(hay), 12);
  assert.equal(name.indexIn(hay, 12), 12);
  assert.equal(name.indexIn(hay, 13), -1);
  assert.equal(name.indexIn(hay, 0, 19), -1);
  assert.equal(name.indexIn(hay, 0, 20), 12);
  assert.equal(new BytePattern('x"}').indexIn(hay), 20);
  assert.equal(new BytePattern('x"}!').indexIn(hay), -1);
  assert.equal(new BytePattern("").indexIn(hay, 3), 3);
  assert.equal(new BytePattern('{"a"').startsIn(hay), true);
  assert.equal(new BytePattern('"a"').startsIn(hay, 1), true);
  assert.equal(new BytePattern('"a"').startsIn(hay), false);
  assert.equal(new BytePattern('{"a"').startsIn(hay, 0, 3), false);
});

Deno.test("ChunkedDecoder decodes a body cut anywhere", async (t) => {
  const body = encoder.encode(
    "5;ext=1\r\nhello\r\nA\r\n, chunked \r\n1c\r\nbody, ünïcode and newline\n\r\n" +
      "0\r\nX-Trailer: 1\r\n\r\nNEXT",
  );
  const want = "hello, chunked body, ünïcode and newline\n";
  await t.step("in one piece", () => {
    assert.deepEqual(decode([body]), { data: want, rest: "NEXT", done: true });
  });
  await t.step("in two pieces, at every offset", () => {
    for (let i = 0; i <= body.length; i++) {
      assert.deepEqual(decode(cut(body, [i])), { data: want, rest: "NEXT", done: true }, `at ${i}`);
    }
  });
  await t.step("a byte at a time", () => {
    const bytes = [...body].map((b) => new Uint8Array([b]));
    assert.deepEqual(decode(bytes), { data: want, rest: "NEXT", done: true });
  });
  await t.step("upper-case hex and no trailer", () => {
    const upper = encoder.encode(`1F\r\n${"x".repeat(31)}\r\n0\r\n\r\n`);
    assert.deepEqual(decode([upper]), { data: "x".repeat(31), rest: "", done: true });
  });
});

Deno.test("ChunkedDecoder is not done before the empty line after the last chunk", () => {
  const body = encoder.encode("3\r\nabc\r\n0\r\n");
  const d = new ChunkedDecoder(() => {});
  assert.equal(d.push(body), body.length);
  assert.equal(d.push(body, 3, 3), 3);
  assert.equal(d.done, false);
  assert.equal(d.push(encoder.encode("\r\n")), 2);
  assert.equal(d.done, true);
  assert.equal(d.stopped, false);
});

Deno.test("ChunkedDecoder stops when onData returns false", () => {
  const body = encoder.encode("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
  const seen: string[] = [];
  const d = new ChunkedDecoder((b, start, end) => {
    seen.push(decoder.decode(b.subarray(start, end)));
    return false;
  });
  assert.equal(d.push(body), 6);
  assert.deepEqual(seen, ["abc"]);
  assert.equal(d.done, true);
  assert.equal(d.stopped, true);
});

Deno.test("ChunkedDecoder rejects broken framing", async (t) => {
  const cases = {
    "no size": "\r\nabc\r\n",
    "not hex": "zz\r\nabc\r\n",
    "data longer than its size": "2\r\nabc\r\n",
    "size far too large": "1000000000000\r\n",
  };
  for (const [name, text] of Object.entries(cases)) {
    await t.step(name, () => {
      assert.throws(() => new ChunkedDecoder(() => {}).push(encoder.encode(text)), SyntaxError);
    });
  }
});

Deno.test("LineSplitter splits lines across pieces", async (t) => {
  const cases: { name: string; pieces: string[]; want: string[] }[] = [
    { name: "one piece", pieces: ["a\nb\n"], want: ["a", "b"] },
    {
      name: "split line",
      pieces: ['{"x":', "1}\n", '{"y"', ":2}\n"],
      want: ['{"x":1}', '{"y":2}'],
    },
    { name: "newline alone", pieces: ["abc", "\n", "\n"], want: ["abc", ""] },
    { name: "no final newline", pieces: ["a\nb"], want: ["a"] },
    {
      name: "a long line",
      pieces: ["x".repeat(5000), "y".repeat(5000) + "\nz\n"],
      want: ["x".repeat(5000) + "y".repeat(5000), "z"],
    },
    { name: "crlf kept", pieces: ["a\r\n"], want: ["a\r"] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got: string[] = [];
      const s = new LineSplitter((b, start, end) =>
        void got.push(decoder.decode(b.subarray(start, end)))
      );
      for (const p of c.pieces) {
        // Fed as a range of a larger buffer holding other lines around it.
        const bytes = encoder.encode(`x\n${p}y\n`);
        assert.equal(s.push(bytes, 2, bytes.length - 2), true);
      }
      assert.deepEqual(got, c.want);
    });
  }
});

Deno.test("LineSplitter stops when onLine returns false", () => {
  const got: string[] = [];
  const s = new LineSplitter((b, start, end) => {
    got.push(decoder.decode(b.subarray(start, end)));
    return got.length < 2;
  });
  assert.equal(s.push(encoder.encode("a\nb\nc\n")), false);
  assert.deepEqual(got, ["a", "b"]);
});

Deno.test("a watch stream's lines survive chunk and read boundaries anywhere", () => {
  const events = [
    '{"type":"ADDED","object":{"metadata":{"name":"p-1"}}}',
    '{"type":"MODIFIED","object":{"metadata":{"name":"p-ü"}}}',
    '{"type":"DELETED","object":{"metadata":{"name":"p-3"}}}',
  ];
  // Chunks that end inside lines and hold more than one line, as a server may write them.
  const text = events.map((e) => `${e}\n`).join("");
  const parts = [text.slice(0, 10), text.slice(10, 70), text.slice(70, 71), text.slice(71)];
  const body = encoder.encode(chunked(parts));
  for (let i = 0; i <= body.length; i++) {
    for (let j = i; j <= body.length; j += 7) {
      const got: string[] = [];
      const lines = new LineSplitter((b, start, end) => {
        got.push(decoder.decode(b.subarray(start, end)));
      });
      const d = new ChunkedDecoder((b, start, end) => lines.push(b, start, end));
      for (const p of cut(body, [i, j])) d.push(p);
      assert.equal(d.done, true);
      assert.deepEqual(got, events, `cut at ${i} and ${j}`);
    }
  }
});
