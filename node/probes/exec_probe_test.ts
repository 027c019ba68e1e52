import assert from "node:assert/strict";
import { execProbe, type ExecSyncFunction, ExecTimeoutError } from "./exec_probe.ts";

const enc = new TextEncoder();

Deno.test("execProbe() judges the command by its exit code", async (t) => {
  const calls: unknown[] = [];
  const cases: { name: string; exec: ExecSyncFunction; result: string; output: string }[] = [
    {
      name: "exit 0 succeeds with stdout and stderr",
      exec: (id, cmd, timeoutS) => {
        calls.push([id, cmd, timeoutS]);
        return Promise.resolve({
          stdout: enc.encode("out "),
          stderr: enc.encode("err"),
          exitCode: 0,
        });
      },
      result: "success",
      output: "out err",
    },
    {
      name: "exit 1 fails",
      exec: () =>
        Promise.resolve({ stdout: enc.encode("no"), stderr: new Uint8Array(), exitCode: 1 }),
      result: "failure",
      output: "no",
    },
    {
      name: "a CRI deadline fails as a timeout",
      exec: () => Promise.reject(Object.assign(new Error("deadline"), { code: 4 })),
      result: "failure",
      output: `command "cat /tmp/healthy" timed out`,
    },
    {
      name: "an ExecTimeoutError fails as a timeout",
      exec: (_id, cmd) => Promise.reject(new ExecTimeoutError(cmd)),
      result: "failure",
      output: `command "cat /tmp/healthy" timed out`,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const out = await execProbe(
        { containerId: "abc", command: ["cat", "/tmp/healthy"], timeoutSeconds: 2 },
        { execSync: c.exec },
      );
      assert.deepEqual(out, { result: c.result, output: c.output });
    });
  }
  assert.deepEqual(calls, [["abc", ["cat", "/tmp/healthy"], 2]]);
});

Deno.test("execProbe() rejects when the exec itself fails", async () => {
  await assert.rejects(
    execProbe({ containerId: "abc", command: ["true"], timeoutSeconds: 1 }, {
      execSync: () => Promise.reject(new Error("container not found")),
    }),
    { message: `Cannot run probe command "true" in container "abc"` },
  );
});
