import assert from "node:assert/strict";
import { readTar } from "./_tar_reader.ts";
import { writeTar } from "./tar_writer.ts";

Deno.test("readTar() reads an archive made by the system's tar", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/src/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/src/sub/a.txt`, "alpha");
    await Deno.symlink("sub/a.txt", `${dir}/src/link`);
    const out = await new Deno.Command("tar", {
      args: ["--format=ustar", "-C", `${dir}/src`, "-cf", `${dir}/t.tar`, "sub", "link"],
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const entries = readTar(await Deno.readFile(`${dir}/t.tar`));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get("sub/")?.type, "5");
    assert.equal(new TextDecoder().decode(byPath.get("sub/a.txt")?.content), "alpha");
    assert.equal(byPath.get("link")?.linkTarget, "sub/a.txt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTar() rejects damaged archives", async (t) => {
  const good = writeTar([{ kind: "file", path: "f", content: "x".repeat(600) }]);
  const cases: { name: string; bytes: Uint8Array; error: RegExp }[] = [
    {
      name: "a corrupted header",
      bytes: (() => {
        const b = good.slice();
        b[0] = "g".charCodeAt(0);
        return b;
      })(),
      error: /^Cannot read tar entry "g": header checksum mismatch$/,
    },
    {
      name: "truncated content",
      bytes: good.slice(0, 512 + 100),
      error: /^Cannot read tar entry "f": the archive is truncated$/,
    },
    {
      name: "no end-of-archive blocks",
      bytes: good.slice(0, 512 * 3),
      error: /^Cannot read tar archive: it ends without the end-of-archive blocks$/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => readTar(c.bytes), (err: Error) => {
        assert.ok(err instanceof SyntaxError);
        assert.match(err.message, c.error);
        return true;
      });
    });
  }
});
