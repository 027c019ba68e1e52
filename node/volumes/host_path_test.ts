import assert from "node:assert/strict";
import { checkHostPathType, HOST_PATH_TYPES, setUpHostPath } from "./host_path.ts";

interface Fixture {
  readonly dir: string;
  readonly paths: Readonly<Record<string, string>>;
}

/** A directory, a file, a socket, a character and a block device (mknod needs root). */
async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  assert.equal(Deno.uid(), 0, "the hostPath test makes a block device with mknod: run it as root");
  const dir = await Deno.makeTempDir({ prefix: "skiff-hostpath-" });
  const listener = Deno.listen({ transport: "unix", path: `${dir}/sock` });
  try {
    await Deno.mkdir(`${dir}/dir`);
    await Deno.writeTextFile(`${dir}/file`, "x");
    const mknod = await new Deno.Command("mknod", { args: [`${dir}/blk`, "b", "7", "0"] }).output();
    assert.equal(mknod.code, 0, new TextDecoder().decode(mknod.stderr));
    await Deno.symlink(`${dir}/dir`, `${dir}/link-to-dir`);
    await fn({
      dir,
      paths: {
        Directory: `${dir}/dir`,
        File: `${dir}/file`,
        Socket: `${dir}/sock`,
        CharDevice: "/dev/null",
        BlockDevice: `${dir}/blk`,
      },
    });
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const WHAT: Readonly<Record<string, string>> = {
  Directory: "a directory",
  DirectoryOrCreate: "a directory",
  File: "a file",
  FileOrCreate: "a file",
  Socket: "a socket file",
  CharDevice: "a character device",
  BlockDevice: "a block device",
};

Deno.test("checkHostPathType() accepts each kind only for its type (as root)", async (t) => {
  await withFixture(async ({ paths }) => {
    for (const type of HOST_PATH_TYPES) {
      for (const [kind, path] of Object.entries(paths)) {
        const matches = type === "" || type === kind || type === `${kind}OrCreate`;
        await t.step(`${type || '""'} on a ${kind}`, async () => {
          if (matches) {
            await checkHostPathType(path, type);
          } else {
            await assert.rejects(checkHostPathType(path, type), {
              message: `hostPath type check failed: ${path} is not ${WHAT[type]}`,
            });
          }
        });
      }
    }
  });
});

Deno.test("checkHostPathType() follows symlinks and fails on missing paths", async () => {
  await withFixture(async ({ dir }) => {
    await checkHostPathType(`${dir}/link-to-dir`, "Directory");
    for (const type of ["Directory", "File", "Socket", "CharDevice", "BlockDevice"]) {
      await assert.rejects(checkHostPathType(`${dir}/missing`, type), {
        message: `hostPath type check failed: ${dir}/missing is not ${WHAT[type]}`,
      });
    }
    await checkHostPathType(`${dir}/missing`, "");
  });
});

Deno.test("checkHostPathType() creates what the …OrCreate types ask for", async () => {
  await withFixture(async ({ dir }) => {
    const umask = Deno.umask(0o022);
    try {
      await checkHostPathType(`${dir}/a/b/c`, "DirectoryOrCreate");
      const created = await Deno.stat(`${dir}/a/b/c`);
      assert.ok(created.isDirectory);
      assert.equal((created.mode ?? 0) & 0o777, 0o755);
      assert.equal(((await Deno.stat(`${dir}/a`)).mode ?? 0) & 0o777, 0o755);

      await checkHostPathType(`${dir}/dir/new.log`, "FileOrCreate");
      const file = await Deno.stat(`${dir}/dir/new.log`);
      assert.ok(file.isFile);
      assert.equal(file.size, 0);
      assert.equal((file.mode ?? 0) & 0o777, 0o644);

      // An existing file is left alone.
      await checkHostPathType(`${dir}/file`, "FileOrCreate");
      assert.equal(await Deno.readTextFile(`${dir}/file`), "x");
    } finally {
      Deno.umask(umask);
    }
    await assert.rejects(checkHostPathType(`${dir}/nodir/new.log`, "FileOrCreate"), {
      message: `open ${dir}/nodir/new.log: no such file or directory`,
    });
    await assert.rejects(checkHostPathType(`${dir}/file/sub`, "DirectoryOrCreate"), {
      message: `mkdir ${dir}/file/sub: not a directory`,
    });
  });
});

Deno.test("checkHostPathType() rejects an unknown type", async () => {
  await assert.rejects(checkHostPathType("/", "Fifo"), {
    message: "Fifo is an invalid volume type",
  });
});

Deno.test("setUpHostPath() rejects backsteps and returns the path", async () => {
  await assert.rejects(setUpHostPath({ path: "/var/../etc" }), {
    message: "invalid HostPath `/var/../etc`: must not contain '..'",
  });
  assert.equal(await setUpHostPath({ path: "/var/..data" }), "/var/..data");
  assert.equal(await setUpHostPath({ path: "/", type: "Directory" }), "/");
});
