import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import {
  AtomicWriter,
  cleanPayloadPath,
  DATA_DIR_NAME,
  type FileProjection,
  NEW_DATA_DIR_NAME,
  textFile,
  validatePayloadPath,
} from "./atomic_writer.ts";

const START = Date.UTC(2024, 4, 1, 10, 0, 0);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-atomic-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function payload(entries: Record<string, string | FileProjection>): Map<string, FileProjection> {
  return new Map(
    Object.entries(entries).map((
      [k, v],
    ) => [k, typeof v === "string" ? textFile(v, 0o644) : v]),
  );
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

async function tsDirs(dir: string): Promise<string[]> {
  return (await names(dir)).filter((n) => n.startsWith("..2"));
}

Deno.test("validatePayloadPath() accepts and rejects paths as upstream", async (t) => {
  const ok = ["a", "a/b/c", "a/..b", "a..", "a/.", "x".repeat(255)];
  const bad: [string, string][] = [
    ["", 'invalid path: must not be empty: ""'],
    ["/etc/passwd", "invalid path: must be relative path: /etc/passwd"],
    ["a/../b", "invalid path: must not contain '..': a/../b"],
    ["../a", "invalid path: must not contain '..': ../a"],
    ["..data", "invalid path: must not start with '..': ..data"],
    ["..a/b", "invalid path: must not start with '..': ..a/b"],
    ["x".repeat(256), "invalid path: filenames must be less than or equal to 255 characters"],
    [`${"x/".repeat(2048)}y`, "invalid path: must be less than or equal to 4096 characters"],
  ];
  for (const path of ok) {
    await t.step(`accepts ${JSON.stringify(path.slice(0, 20))}`, () => validatePayloadPath(path));
  }
  await t.step('rejects ".."', () => {
    assert.throws(() => validatePayloadPath(".."), {
      name: "TypeError",
      message: "invalid path: must not contain '..': ..",
    });
  });
  for (const [path, message] of bad) {
    await t.step(`rejects ${JSON.stringify(path.slice(0, 20))}`, () => {
      assert.throws(() => validatePayloadPath(path), { name: "TypeError", message });
    });
  }
});

Deno.test("cleanPayloadPath() cleans as Go's filepath.Clean for valid paths", () => {
  assert.equal(cleanPayloadPath("a//b/./c/"), "a/b/c");
  assert.equal(cleanPayloadPath("./a"), "a");
  assert.equal(cleanPayloadPath("a"), "a");
});

Deno.test("AtomicWriter.write() projects files through ..data with exact modes", async () => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir, { clock: new FakeClock(START) });
    const wrote = await writer.write(payload({
      "config.yaml": "a: 1\n",
      "private.key": textFile("secret", 0o600),
      "readonly": textFile("ro", 0o400),
      "wide": textFile("w", 0o777),
      "nested/dir/file": "deep",
      "nested/other": "other",
    }));
    assert.equal(wrote, true);
    const [ts] = await tsDirs(dir);
    assert.ok(ts?.startsWith("..2024_05_01_10_00_00."), String(ts));
    assert.equal(await Deno.readLink(`${dir}/${DATA_DIR_NAME}`), ts);
    assert.deepEqual(await names(dir), [
      ts,
      DATA_DIR_NAME,
      "config.yaml",
      "nested",
      "private.key",
      "readonly",
      "wide",
    ]);
    assert.equal(await Deno.readLink(`${dir}/config.yaml`), "..data/config.yaml");
    assert.equal(await Deno.readLink(`${dir}/nested`), "..data/nested");
    assert.equal(await Deno.readTextFile(`${dir}/config.yaml`), "a: 1\n");
    assert.equal(await Deno.readTextFile(`${dir}/nested/dir/file`), "deep");
    assert.equal(await Deno.readTextFile(`${dir}/nested/other`), "other");
    const mode = async (p: string) => ((await Deno.stat(`${dir}/${p}`)).mode ?? 0) & 0o7777;
    assert.equal(await mode("config.yaml"), 0o644);
    assert.equal(await mode("private.key"), 0o600);
    assert.equal(await mode("readonly"), 0o400);
    assert.equal(await mode("wide"), 0o777);
    assert.equal(await mode(ts ?? ""), 0o755);
    assert.equal(await mode("nested/dir"), 0o755);
  });
});

Deno.test("AtomicWriter.write() writes nothing when the payload is unchanged", async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START);
    const writer = new AtomicWriter(dir, { clock });
    const p = payload({ a: "1", "b/c": textFile("2", 0o600) });
    assert.equal(await writer.write(p), true);
    const before = await names(dir);
    const info = await Deno.lstat(`${dir}/${DATA_DIR_NAME}`);
    clock.advance(5_000);
    assert.equal(await writer.write(payload({ a: "1", "b/c": textFile("2", 0o600) })), false);
    assert.deepEqual(await names(dir), before);
    assert.deepEqual((await Deno.lstat(`${dir}/${DATA_DIR_NAME}`)).mtime, info.mtime);
    // A second writer (an agent restart) sees the same state on disk.
    assert.equal(await new AtomicWriter(dir, { clock }).write(p), false);
  });
});

Deno.test("AtomicWriter.write() swaps in a new version when content or mode changes", async (t) => {
  await withDir(async (dir) => {
    const clock = new FakeClock(START);
    const writer = new AtomicWriter(dir, { clock });
    await writer.write(payload({ a: "1", b: "2" }));
    const [first] = await tsDirs(dir);

    await t.step("content", async () => {
      clock.advance(61_000);
      assert.equal(await writer.write(payload({ a: "1", b: "3" })), true);
      const dirs = await tsDirs(dir);
      assert.equal(dirs.length, 1, "the old data directory is removed");
      assert.notEqual(dirs[0], first);
      assert.ok(dirs[0]?.startsWith("..2024_05_01_10_01_01."));
      assert.equal(await Deno.readTextFile(`${dir}/b`), "3");
      assert.equal(await Deno.readTextFile(`${dir}/a`), "1");
    });

    await t.step("mode", async () => {
      const [before] = await tsDirs(dir);
      assert.equal(await writer.write(payload({ a: textFile("1", 0o600), b: "3" })), true);
      assert.notDeepEqual(await tsDirs(dir), [before]);
      assert.equal(((await Deno.stat(`${dir}/a`)).mode ?? 0) & 0o777, 0o600);
    });
  });
});

Deno.test("AtomicWriter.write() removes keys that left the payload", async (t) => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: "1", b: "2", "d/x": "x", "d/y": "y", "e/z": "z" }));

    await t.step("a top-level file", async () => {
      assert.equal(
        await writer.write(payload({ a: "1", "d/x": "x", "d/y": "y", "e/z": "z" })),
        true,
      );
      assert.deepEqual((await names(dir)).filter((n) => !n.startsWith("..")), ["a", "d", "e"]);
      await assert.rejects(Deno.lstat(`${dir}/b`), Deno.errors.NotFound);
    });

    await t.step("a file in a directory", async () => {
      assert.equal(await writer.write(payload({ a: "1", "d/x": "x", "e/z": "z" })), true);
      assert.deepEqual(await names(`${dir}/d`), ["x"]);
    });

    await t.step("a whole directory", async () => {
      assert.equal(await writer.write(payload({ a: "1", "d/x": "x" })), true);
      await assert.rejects(Deno.lstat(`${dir}/e`), Deno.errors.NotFound);
    });

    await t.step("everything", async () => {
      assert.equal(await writer.write(new Map()), true);
      const left = await names(dir);
      assert.equal(left.length, 2);
      assert.ok(left.includes(DATA_DIR_NAME));
      assert.deepEqual(await names(`${dir}/${DATA_DIR_NAME}`), []);
      assert.equal(await writer.write(new Map()), false);
    });
  });
});

Deno.test("AtomicWriter.write() rejects an invalid path before writing anything", async () => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    await assert.rejects(writer.write(payload({ ok: "1", "../escape": "x" })), {
      name: "TypeError",
      message: "invalid path: must not contain '..': ../escape",
    });
    assert.deepEqual(await names(dir), []);
    // The writer still works after a rejected write.
    assert.equal(await writer.write(payload({ ok: "1" })), true);
  });
});

Deno.test("AtomicWriter.write() restores a user-visible link someone removed", async () => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: "1" }));
    await Deno.remove(`${dir}/a`);
    assert.equal(await writer.write(payload({ a: "1" })), true);
    assert.equal(await Deno.readTextFile(`${dir}/a`), "1");
  });
});

Deno.test("AtomicWriter.write() cleans up what a crash left behind", async () => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    await writer.write(payload({ a: "1" }));
    const [current] = await tsDirs(dir);
    // A crash after the new directory was written, before the rename.
    await Deno.mkdir(`${dir}/..2020_01_01_00_00_00.123`);
    await Deno.writeTextFile(`${dir}/..2020_01_01_00_00_00.123/a`, "half");
    await Deno.symlink("..2020_01_01_00_00_00.123", `${dir}/${NEW_DATA_DIR_NAME}`);
    assert.equal(await writer.write(payload({ a: "1" })), false);
    assert.deepEqual(await tsDirs(dir), [current]);
    await assert.rejects(Deno.lstat(`${dir}/${NEW_DATA_DIR_NAME}`), Deno.errors.NotFound);
    assert.equal(await writer.write(payload({ a: "2" })), true);
    assert.equal(await Deno.readTextFile(`${dir}/a`), "2");
  });
});

Deno.test("AtomicWriter.write() serializes concurrent writes", async () => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => writer.write(payload({ a: String(n), [`k${n}`]: "x" }))),
    );
    assert.deepEqual(results, [true, true, true, true, true]);
    assert.equal(await Deno.readTextFile(`${dir}/a`), "5");
    assert.deepEqual((await names(dir)).filter((n) => !n.startsWith("..")), ["a", "k5"]);
    assert.equal((await tsDirs(dir)).length, 1);
  });
});

Deno.test("AtomicWriter.write() never shows a reader a mixed or partial payload", async () => {
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    const body = (v: number) => `${v}:${"x".repeat(64 * 1024)}`;
    await writer.write(payload({ a: body(0), b: body(0) }));
    let done = false;
    let reads = 0;
    const seen = new Set<number>();
    async function reader(): Promise<void> {
      while (!done) {
        let data: string;
        try {
          // A consumer reads the version `..data` points to, file by file.
          data = await Deno.realPath(`${dir}/${DATA_DIR_NAME}`);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) continue;
          throw err;
        }
        let a: string, b: string;
        try {
          a = await Deno.readTextFile(`${data}/a`);
          b = await Deno.readTextFile(`${data}/b`);
        } catch (err) {
          // The version was replaced and removed under the reader: it rereads ..data.
          if (err instanceof Deno.errors.NotFound) continue;
          throw err;
        }
        const va = Number(a.slice(0, a.indexOf(":")));
        assert.equal(a, body(va), "a complete file");
        assert.equal(b, body(va), "both files of one version");
        seen.add(va);
        reads++;
      }
    }
    const readers = [reader(), reader()];
    for (let v = 1; v <= 30; v++) await writer.write(payload({ a: body(v), b: body(v) }));
    done = true;
    await Promise.all(readers);
    assert.ok(reads > 0, "the readers read");
    assert.ok(seen.size > 1, `the readers saw several versions: ${[...seen]}`);
    assert.equal(await Deno.readTextFile(`${dir}/a`), body(30));
  });
});

Deno.test("AtomicWriter.write() applies fsUser and fsGroup (as root)", async () => {
  assert.equal(Deno.uid(), 0, "this test changes file owners and must run as root");
  await withDir(async (dir) => {
    const writer = new AtomicWriter(dir);
    const p = new Map<string, FileProjection>([
      ["token", { data: new TextEncoder().encode("t"), mode: 0o600, fsUser: 1234 }],
      ["sub/ca.crt", textFile("c", 0o644)],
    ]);
    assert.equal(await writer.write(p, { fsGroup: 2345 }), true);
    const token = await Deno.stat(`${dir}/token`);
    assert.equal(token.uid, 1234);
    assert.equal(token.gid, 2345);
    assert.equal((token.mode ?? 0) & 0o7777, 0o640);
    const ca = await Deno.stat(`${dir}/sub/ca.crt`);
    assert.equal(ca.uid, 0);
    assert.equal(ca.gid, 2345);
    assert.equal((ca.mode ?? 0) & 0o7777, 0o644);
    const sub = await Deno.stat(`${dir}/sub`);
    assert.equal(sub.gid, 2345);
    assert.equal((sub.mode ?? 0) & 0o7777, 0o2755);
    assert.equal((await Deno.lstat(`${dir}/token`)).gid, 2345);
    assert.equal(await writer.write(p, { fsGroup: 2345 }), false, "the group bits count as set");
    assert.equal(await writer.write(p, { fsGroup: 3456 }), true, "a new group rewrites");
    assert.equal((await Deno.stat(`${dir}/token`)).gid, 3456);
  });
});
