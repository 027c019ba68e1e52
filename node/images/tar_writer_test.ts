import assert from "node:assert/strict";
import { readTar, tarChecksum } from "./_tar_reader.ts";
import { type TarEntry, writeTar } from "./tar_writer.ts";

const decoder = new TextDecoder();

Deno.test("writeTar() writes files, directories and symlinks that read back with their fields", () => {
  const tar = writeTar([
    { kind: "directory", path: "bin", mode: 0o750, mtimeSec: 1_700_000_000 },
    { kind: "file", path: "bin/tool", content: new Uint8Array([1, 2, 3]), mode: 0o755, uid: 7 },
    { kind: "symlink", path: "bin/sh", target: "tool", gid: 9 },
    { kind: "file", path: "etc/motd", content: "hello\n" },
  ]);
  const entries = readTar(tar);
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.mode, e.uid, e.gid, e.mtimeSec, e.linkTarget, e.magic]),
    [
      ["bin/", "5", 0o750, 0, 0, 1_700_000_000, "", "ustar"],
      ["bin/tool", "0", 0o755, 7, 0, 0, "", "ustar"],
      ["bin/sh", "2", 0o777, 0, 9, 0, "tool", "ustar"],
      ["etc/motd", "0", 0o644, 0, 0, 0, "", "ustar"],
    ],
  );
  assert.deepEqual([...entries[1]!.content], [1, 2, 3]);
  assert.equal(decoder.decode(entries[3]!.content), "hello\n");
});

Deno.test("writeTar() pads content to 512-byte blocks and ends with two zero blocks", async (t) => {
  for (const size of [0, 1, 511, 512, 513, 1500]) {
    await t.step(`${size} bytes`, () => {
      const tar = writeTar([{ kind: "file", path: "f", content: new Uint8Array(size).fill(7) }]);
      const blocks = 1 + Math.ceil(size / 512) + 2;
      assert.equal(tar.length, blocks * 512);
      assert.ok(tar.subarray(tar.length - 1024).every((b) => b === 0));
      assert.equal(readTar(tar)[0]!.content.length, size);
      assert.equal(
        tarChecksum(tar.subarray(0, 512)),
        parseInt(decoder.decode(tar.subarray(148, 154)), 8),
      );
    });
  }
});

Deno.test("writeTar() stores a long path in ustar's prefix field", () => {
  const dir = `${"d".repeat(60)}/${"e".repeat(60)}`;
  const path = `${dir}/${"f".repeat(90)}`;
  const tar = writeTar([{ kind: "file", path, content: "x" }]);
  assert.equal(decoder.decode(tar.subarray(345, 345 + dir.length)), dir);
  assert.equal(readTar(tar)[0]!.path, path);
});

Deno.test("writeTar() gives the same bytes for the same entries", () => {
  const entries: TarEntry[] = [
    { kind: "directory", path: "a" },
    { kind: "file", path: "a/b", content: "same" },
  ];
  assert.deepEqual(writeTar(entries), writeTar(entries));
});

Deno.test("writeTar() rejects what ustar cannot hold", async (t) => {
  const cases: { name: string; entry: TarEntry; error: RegExp; type: ErrorConstructor }[] = [
    {
      name: "absolute path",
      entry: { kind: "file", path: "/etc/passwd", content: "" },
      error: /^Cannot write tar entry "\/etc\/passwd": the path must be relative$/,
      type: TypeError,
    },
    {
      name: "empty path",
      entry: { kind: "directory", path: "" },
      error: /^Cannot write tar entry "": the path must be relative$/,
      type: TypeError,
    },
    {
      name: "a name part over 100 bytes",
      entry: { kind: "file", path: `a/${"n".repeat(101)}`, content: "" },
      error: /the path does not fit ustar's 100-byte name and 155-byte prefix$/,
      type: RangeError,
    },
    {
      name: "a link target over 100 bytes",
      entry: { kind: "symlink", path: "l", target: "t".repeat(101) },
      error: /^Cannot write tar entry "l": link target "t+" must be 1 to 100 bytes$/,
      type: RangeError,
    },
    {
      name: "a negative mtime",
      entry: { kind: "file", path: "f", content: "", mtimeSec: -1 },
      error: /^Cannot write tar entry "f": mtime -1 is not an integer from 0 to 8589934591$/,
      type: RangeError,
    },
    {
      name: "a mode with more than permission bits",
      entry: { kind: "file", path: "f", content: "", mode: 0o100644 },
      error: /^Cannot write tar entry "f": mode 33188 is not an integer from 0 to 4095$/,
      type: RangeError,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => writeTar([c.entry]), (err: Error) => {
        assert.ok(err instanceof c.type, `${err.name}: ${err.message}`);
        assert.match(err.message, c.error);
        return true;
      });
    });
  }
});

Deno.test("writeTar() output lists in the system's tar as written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const longDir = "p".repeat(120);
    await Deno.writeFile(
      `${dir}/t.tar`,
      writeTar([
        { kind: "directory", path: "bin" },
        { kind: "file", path: "bin/busybox", content: "#!", mode: 0o755 },
        { kind: "symlink", path: "bin/sh", target: "busybox" },
        { kind: "file", path: `${longDir}/file`, content: "x" },
      ]),
    );
    const out = await new Deno.Command("tar", {
      args: ["-tvf", `${dir}/t.tar`],
      env: { TZ: "UTC" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    const lines = decoder.decode(out.stdout).trim().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 bin\/$/);
    assert.match(lines[1]!, /^-rwxr-xr-x 0\/0 +2 1970-01-01 00:00 bin\/busybox$/);
    assert.match(lines[2]!, /^lrwxrwxrwx 0\/0 +0 1970-01-01 00:00 bin\/sh -> busybox$/);
    assert.match(lines[3]!, new RegExp(`^-rw-r--r-- 0/0 +1 1970-01-01 00:00 ${longDir}/file$`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
