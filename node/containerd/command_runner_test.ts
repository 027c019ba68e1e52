import assert from "node:assert/strict";
import { DenoCommandRunner } from "./command_runner.ts";

Deno.test("DenoCommandRunner.run() returns the exit code and output of a command", async () => {
  const result = await new DenoCommandRunner().run(["sh", "-c", "echo out; echo err >&2; exit 3"]);
  assert.deepEqual(result, { code: 3, stdout: "out\n", stderr: "err\n" });
});

Deno.test("DenoCommandRunner.run() feeds options.stdin to the command", async (t) => {
  const runner = new DenoCommandRunner();
  await t.step("a string", async () => {
    const result = await runner.run(["cat"], { stdin: "add table ip t\n" });
    assert.equal(result.stdout, "add table ip t\n");
  });
  await t.step("bytes, larger than a pipe buffer", async () => {
    const big = new Uint8Array(1 << 20).fill(97);
    const result = await runner.run(["wc", "-c"], { stdin: big });
    assert.equal(result.stdout.trim(), String(1 << 20));
  });
  await t.step("a command that does not read it still reports its exit", async () => {
    const result = await runner.run(["sh", "-c", "exit 4"], { stdin: "x".repeat(1 << 20) });
    assert.equal(result.code, 4);
  });
});

Deno.test("DenoCommandRunner.run() closes stdin when none is given", async () => {
  const result = await new DenoCommandRunner().run(["cat"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, "");
});

Deno.test("DenoCommandRunner.run() names a command it cannot start", async () => {
  await assert.rejects(
    new DenoCommandRunner().run(["/nonexistent/skiff-command"]),
    /Cannot run "\/nonexistent\/skiff-command"/,
  );
});
