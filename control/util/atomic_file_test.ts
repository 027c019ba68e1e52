import assert from "node:assert/strict";
import { writeFileAtomic } from "./atomic_file.ts";

Deno.test("writeFileAtomic() replaces a file with the given mode and leaves no temporary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kubeconfig.yaml`;
    await Deno.writeTextFile(path, "old");
    await writeFileAtomic(path, { data: "new content", mode: 0o600 });
    assert.equal(await Deno.readTextFile(path), "new content");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await writeFileAtomic(path, { data: new Uint8Array([1, 2, 3]), mode: 0o644 });
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["kubeconfig.yaml"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() fails without touching the target when the directory is missing", async () => {
  await assert.rejects(
    () => writeFileAtomic("/nonexistent-skiff-dir/x", { data: "x", mode: 0o600 }),
    Deno.errors.NotFound,
  );
});
