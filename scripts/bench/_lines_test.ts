import assert from "node:assert/strict";
import { readLines } from "./_lines.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => encoder.encode(c)));
}

Deno.test("readLines() splits lines across chunks", async (t) => {
  const cases: { name: string; chunks: string[]; want: string[] }[] = [
    { name: "one chunk", chunks: ["a\nb\n"], want: ["a", "b"] },
    { name: "split line", chunks: ['{"x":', '1}\n{"y"', ":2}\n"], want: ['{"x":1}', '{"y":2}'] },
    { name: "no final newline", chunks: ["a\nb"], want: ["a", "b"] },
    { name: "crlf", chunks: ["a\r\nb\r\n"], want: ["a", "b"] },
    { name: "empty", chunks: [], want: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const got: string[] = [];
      for await (const line of readLines(streamOf(c.chunks))) got.push(line);
      assert.deepEqual(got, c.want);
    });
  }
});
