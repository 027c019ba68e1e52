import assert from "node:assert/strict";
import { buildSkiffImages } from "./build_skiff_images.ts";

Deno.test("buildSkiffImages() writes pause.tar and busybox.tar, the same bytes every time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await buildSkiffImages({ outDir: `${dir}/a`, epochSec: 1_700_000_000 });
    const second = await buildSkiffImages({ outDir: `${dir}/b`, epochSec: 1_700_000_000 });
    assert.deepEqual(first.map((b) => [b.file, b.archive.name]), [
      [`${dir}/a/pause.tar`, "docker.io/skiff/pause:3.9"],
      [`${dir}/a/busybox.tar`, "docker.io/skiff/busybox:1.36"],
    ]);
    for (const [i, built] of first.entries()) {
      assert.deepEqual(await Deno.readFile(built.file), built.archive.bytes);
      assert.equal(built.archive.manifestDigest, second[i]!.archive.manifestDigest);
      assert.deepEqual(await Deno.readFile(second[i]!.file), built.archive.bytes);
    }
    assert.equal((await Deno.stat(first[0]!.file)).mode! & 0o777, 0o644);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildSkiffImages() refuses a busybox it cannot put in an image", async (t) => {
  const arch = Deno.build.arch === "x86_64" ? "arm64" : "amd64";
  const own = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
  const cases: { name: string; busybox: string; architecture?: string; error: RegExp }[] = [
    {
      name: "missing",
      busybox: "/nonexistent/busybox",
      error:
        /^Error: Cannot build images: "\/nonexistent\/busybox" does not exist; install Debian's busybox-static \(scripts\/setup\.sh does\) or pass --busybox PATH$/,
    },
    {
      name: "dynamically linked",
      busybox: "/bin/ls",
      error:
        /^Error: Cannot build images: "\/bin\/ls" is dynamically linked; use Debian's busybox-static$/,
    },
    {
      name: "not an executable",
      busybox: "/etc/hostname",
      error: /^Error: Cannot build images: "\/etc\/hostname" is not an ELF executable$/,
    },
    {
      name: "another architecture",
      busybox: "/usr/bin/busybox",
      architecture: arch,
      error: new RegExp(
        `^Error: Cannot build ${arch} images: "/usr/bin/busybox" is an ${own} executable$`,
      ),
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assert.rejects(
        buildSkiffImages({
          outDir: "/nonexistent/out",
          busybox: c.busybox,
          ...(c.architecture ? { architecture: c.architecture } : {}),
        }),
        c.error,
      );
    });
  }
});
