import assert from "node:assert/strict";
import { MAX_BODY_BYTES } from "./context.ts";

Deno.test("MAX_BODY_BYTES is kube-apiserver's 3 MiB request body limit", () => {
  assert.equal(MAX_BODY_BYTES, 3 * 1024 * 1024);
  assert.equal(MAX_BODY_BYTES, 3_145_728);
});
