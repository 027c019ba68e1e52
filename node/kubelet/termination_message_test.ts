import assert from "node:assert/strict";
import type { ContainerStatus } from "../cri/types.ts";
import { terminationMessage } from "./termination_message.ts";

function exited(
  dir: string,
  overrides: Partial<ContainerStatus> = {},
  policy = "File",
): ContainerStatus {
  return {
    id: "c1",
    metadata: { name: "app", attempt: 0 },
    state: "CONTAINER_EXITED",
    createdAt: "1",
    startedAt: "1",
    finishedAt: "2",
    exitCode: 1,
    image: null,
    imageRef: "",
    reason: "Error",
    message: "",
    labels: {},
    annotations: {
      "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
      "io.kubernetes.container.terminationMessagePolicy": policy,
    },
    mounts: [{
      containerPath: "/dev/termination-log",
      hostPath: `${dir}/msg`,
      readonly: false,
      selinuxRelabel: false,
      propagation: "PROPAGATION_PRIVATE",
    }],
    logPath: `${dir}/0.log`,
    ...overrides,
  };
}

Deno.test("terminationMessage() reads the message file, the last 4096 bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/msg`, "disk full\n");
    assert.equal(await terminationMessage(exited(dir)), "disk full\n");
    await Deno.writeTextFile(`${dir}/msg`, "x".repeat(5000) + "END");
    const long = await terminationMessage(exited(dir));
    assert.equal(long?.length, 4096);
    assert.ok(long?.endsWith("END"));
    assert.equal(await terminationMessage(exited(dir, { state: "CONTAINER_RUNNING" })), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("terminationMessage() falls back to the log tail with FallbackToLogsOnError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/msg`, "");
    await Deno.writeTextFile(
      `${dir}/0.log`,
      "2026-12-01T12:00:00.000000001Z stdout F starting\n2026-12-01T12:00:01.000000001Z stderr F panic: boom\n",
    );
    assert.equal(
      await terminationMessage(exited(dir, {}, "FallbackToLogsOnError")),
      "starting\npanic: boom\n",
    );
    assert.equal(await terminationMessage(exited(dir, {}, "File")), undefined);
    assert.equal(
      await terminationMessage(exited(dir, { exitCode: 0 }, "FallbackToLogsOnError")),
      undefined,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
