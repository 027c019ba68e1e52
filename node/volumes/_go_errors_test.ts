import assert from "node:assert/strict";
import { goErrorText } from "./_go_errors.ts";

Deno.test("goErrorText() words Deno's file system errors as Go's", async (t) => {
  await t.step("a real missing parent", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/missing/file`;
      const err = await Deno.open(path, { write: true, create: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(
        goErrorText(err, { op: "open", path }),
        `open ${path}: no such file or directory`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("a message without an OS error", () => {
    assert.equal(goErrorText(new Error("boom"), { op: "mkdir", path: "/x" }), "mkdir /x: boom");
  });
});
