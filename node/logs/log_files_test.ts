import assert from "node:assert/strict";
import { containerLogFile, containerLogRelativePath, podLogDirectory } from "./log_files.ts";

Deno.test("podLogDirectory() and containerLogRelativePath() follow the kubelet's layout", () => {
  assert.equal(
    podLogDirectory({ namespace: "default", name: "web", uid: "u-1" }),
    "/var/log/pods/default_web_u-1",
  );
  assert.equal(podLogDirectory({ namespace: "a", name: "b", uid: "c" }, "/tmp/x/"), "/tmp/x/a_b_c");
  assert.equal(containerLogRelativePath("app", 2), "app/2.log");
  assert.throws(() => containerLogRelativePath("app", -1), RangeError);
});

Deno.test("containerLogFile() picks the current or previous run's file", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/app`);
    await Deno.writeTextFile(`${dir}/app/0.log`, "");
    await t.step("current", async () => {
      const got = await containerLogFile(dir, {
        podName: "web",
        container: "app",
        restartCount: 1,
      });
      assert.equal(got, `${dir}/app/1.log`);
    });
    await t.step("previous exists", async () => {
      const got = await containerLogFile(dir, {
        podName: "web",
        container: "app",
        restartCount: 1,
        previous: true,
      });
      assert.equal(got, `${dir}/app/0.log`);
    });
    for (const restartCount of [0, 3]) {
      await t.step(`previous missing (restartCount ${restartCount})`, async () => {
        await assert.rejects(
          containerLogFile(dir, { podName: "web", container: "app", restartCount, previous: true }),
          { message: 'previous terminated container "app" in pod "web" not found' },
        );
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
