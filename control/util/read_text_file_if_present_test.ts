import assert from "node:assert/strict";
import { readTextFileIfPresent } from "./read_text_file_if_present.ts";

Deno.test("readTextFileIfPresent() reads a file, answers null for a missing one, throws otherwise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a`, "text");
    assert.equal(await readTextFileIfPresent(`${dir}/a`), "text");
    assert.equal(await readTextFileIfPresent(`${dir}/missing`), null);
    await assert.rejects(readTextFileIfPresent(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
