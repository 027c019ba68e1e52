import assert from "node:assert/strict";
import { createTerminationMessageFile } from "./_termination_message.ts";

Deno.test("createTerminationMessageFile() makes an empty 0666 file named by 8 hex digits", async (t) => {
  const root = await Deno.makeTempDir();
  try {
    await t.step("named from the random number", async () => {
      const path = await createTerminationMessageFile(`${root}/containers/app/`, {
        randomUint32: () => 0xab,
      });
      assert.equal(path, `${root}/containers/app/000000ab`);
      const st = await Deno.stat(path);
      assert.equal(st.size, 0);
      assert.equal((st.mode ?? 0) & 0o777, 0o666);
      assert.equal(((await Deno.stat(`${root}/containers/app`)).mode ?? 0) & 0o777, 0o750);
    });
    await t.step("a fresh file per attempt", async () => {
      const a = await createTerminationMessageFile(`${root}/containers/app`);
      const b = await createTerminationMessageFile(`${root}/containers/app`);
      assert.match(a, /\/[0-9a-f]{8}$/);
      assert.notEqual(a, b);
    });
    await t.step("names the directory when it fails", async () => {
      await Deno.writeTextFile(`${root}/file`, "");
      await assert.rejects(createTerminationMessageFile(`${root}/file/sub`), (err: Error) => {
        assert.match(
          err.message,
          new RegExp(`^Cannot create the termination message file under "${root}/file/sub": `),
        );
        return true;
      });
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
