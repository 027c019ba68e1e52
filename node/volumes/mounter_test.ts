import assert from "node:assert/strict";
import { DenoCommandRunner } from "../containerd/command_runner.ts";
import { CommandMounter, parseMountInfo } from "./mounter.ts";
import { FakeMountRunner } from "./_fake_mount_runner.ts";

Deno.test("parseMountInfo() reads mount points, types and sources", () => {
  const text = [
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro",
    "36 22 98:0 /mnt1 /mnt/with\\040space\\011tab rw,noatime master:1 - ext3 /dev/root rw",
    "612 22 0:52 / /var/lib/skiff/pods/u/volumes/kubernetes.io~empty-dir/cache rw - tmpfs tmpfs rw,size=65536k",
    "",
  ].join("\n");
  assert.deepEqual(parseMountInfo(text), [
    { mountPoint: "/", fsType: "ext4", source: "/dev/sda1" },
    { mountPoint: "/mnt/with space\ttab", fsType: "ext3", source: "/dev/root" },
    {
      mountPoint: "/var/lib/skiff/pods/u/volumes/kubernetes.io~empty-dir/cache",
      fsType: "tmpfs",
      source: "tmpfs",
    },
  ]);
});

Deno.test("parseMountInfo() rejects a line without the separator", () => {
  assert.throws(() => parseMountInfo("1 2 3:4 / /x rw\n"), {
    name: "SyntaxError",
    message: 'Cannot parse mountinfo line "1 2 3:4 / /x rw": expected "- <fstype>"',
  });
});

Deno.test("CommandMounter runs mount and umount and reads the mount table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "skiff-mounter-" });
  try {
    const runner = new FakeMountRunner();
    const mounter = new CommandMounter({ runner, readMountInfo: () => runner.mountInfo() });
    assert.equal(await mounter.mountedFsType(dir), undefined);
    await mounter.mountTmpfs(dir, ["size=1048576"]);
    await mounter.mountTmpfs(`${dir}/`, []);
    assert.deepEqual(runner.commands, [
      ["mount", "-t", "tmpfs", "-o", "size=1048576", "tmpfs", dir],
      ["mount", "-t", "tmpfs", "tmpfs", `${dir}/`],
    ]);
    assert.equal(await mounter.mountedFsType(dir), "tmpfs");
    assert.equal(await mounter.mountedFsType(`${dir}/missing`), undefined);
    const real = await Deno.realPath(dir);
    assert.deepEqual((await mounter.mountsUnder(dir)).map((m) => m.mountPoint), [real, real]);
    assert.deepEqual(await mounter.mountsUnder(`${dir}-other`), []);
    await mounter.unmount(dir);
    assert.deepEqual(runner.commands.at(-1), ["umount", dir]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CommandMounter reports failures as upstream's mount-utils", async () => {
  const runner = new FakeMountRunner();
  const mounter = new CommandMounter({ runner, readMountInfo: () => runner.mountInfo() });
  runner.failNextMount = { code: 32, stderr: "mount: /x: permission denied.\n" };
  await assert.rejects(mounter.mountTmpfs("/x", ["size=1"]), {
    message: "mount failed: exit status 32\nMounting command: mount\n" +
      "Mounting arguments: -t tmpfs -o size=1 tmpfs /x\nOutput: mount: /x: permission denied.",
  });
  await assert.rejects(mounter.unmount("/x"), {
    message:
      "unmount failed: exit status 32\nUnmounting arguments: /x\nOutput: umount: /x: not mounted.",
  });
});

Deno.test("CommandMounter mounts a sized tmpfs for real (as root)", async () => {
  assert.equal(Deno.uid(), 0, "this test mounts a tmpfs: run it as root");
  const dir = await Deno.makeTempDir({ prefix: "skiff-tmpfs-" });
  const mounter = new CommandMounter({ runner: new DenoCommandRunner() });
  let mounted = false;
  try {
    await mounter.mountTmpfs(dir, ["size=1048576"]);
    mounted = true;
    assert.equal(await mounter.mountedFsType(dir), "tmpfs");
    const real = await Deno.realPath(dir);
    const line = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
      .findLast((l) => l.split(" ")[4] === real);
    assert.match(line ?? "", / - tmpfs tmpfs .*size=1024k/);
    await Deno.writeFile(`${dir}/fits`, new Uint8Array(512 * 1024));
    await assert.rejects(
      Deno.writeFile(`${dir}/too-big`, new Uint8Array(1024 * 1024)),
      /No space left/,
    );
    await mounter.unmount(dir);
    mounted = false;
    assert.equal(await mounter.mountedFsType(dir), undefined);
    await assert.rejects(Deno.lstat(`${dir}/fits`), Deno.errors.NotFound);
  } finally {
    if (mounted) await mounter.unmount(dir).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
