import assert from "node:assert/strict";
import { DenoStateFs, isTemporaryStateFile } from "./state_fs.ts";

Deno.test("DenoStateFs.writeFile() replaces a file with the mode asked for and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fs = new DenoStateFs();
    const path = `${dir}/a.json`;
    await fs.writeFile(path, new TextEncoder().encode("one"), 0o600);
    await fs.writeFile(path, new TextEncoder().encode("two"), 0o600);
    assert.equal(await Deno.readTextFile(path), "two");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await fs.readDir(dir), ["a.json"]);
    await fs.syncDir(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DenoStateFs.readDir() answers [] for a missing directory and remove() ignores a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fs = new DenoStateFs();
    assert.deepEqual(await fs.readDir(`${dir}/missing`), []);
    await fs.remove(`${dir}/missing.json`);
    await fs.mkdir(`${dir}/x/y`, 0o700);
    assert.equal((await Deno.stat(`${dir}/x/y`)).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isTemporaryStateFile() matches the names writeFile() uses for its temporary files", async (t) => {
  const cases: Array<[string, boolean]> = [
    [".u1.json.tmp-1a2b3c4d", true],
    ["u1.json", false],
    [".hidden", false],
  ];
  for (const [name, want] of cases) {
    await t.step(name, () => assert.equal(isTemporaryStateFile(name), want));
  }
});
