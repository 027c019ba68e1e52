import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes() joins chunks in order, and returns a lone chunk itself", () => {
  const one = new Uint8Array([7, 8]);
  assert.equal(concatBytes([one], 2), one);
  assert.deepEqual(
    concatBytes([new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])], 3),
    new Uint8Array([1, 2, 3]),
  );
  assert.deepEqual(concatBytes([], 0), new Uint8Array(0));
});
