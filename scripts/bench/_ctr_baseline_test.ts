import assert from "node:assert/strict";
import { ctrRunArgs, parseCtrTasks } from "./_ctr_baseline.ts";

Deno.test("ctrRunArgs() runs the command detached on the host network", async (t) => {
  await t.step("with a snapshotter", () => {
    assert.deepEqual(
      ctrRunArgs({
        address: "/run/c.sock",
        image: "docker.io/skiff/busybox:1.36",
        id: "b-1",
        snapshotter: "native",
        command: ["sleep", "3600"],
      }),
      [
        "--address",
        "/run/c.sock",
        "-n",
        "k8s.io",
        "run",
        "-d",
        "--net-host",
        "--snapshotter",
        "native",
        "docker.io/skiff/busybox:1.36",
        "b-1",
        "sleep",
        "3600",
      ],
    );
  });
  await t.step("in another namespace, with ctr's snapshotter", () => {
    const args = ctrRunArgs({
      address: "/s",
      namespace: "bench",
      image: "i",
      id: "x",
      command: ["true"],
    });
    assert.deepEqual(args, [
      "--address",
      "/s",
      "-n",
      "bench",
      "run",
      "-d",
      "--net-host",
      "i",
      "x",
      "true",
    ]);
  });
});

Deno.test("parseCtrTasks() maps task ids to their status", () => {
  const text = "TASK      PID      STATUS    \n" +
    "b-1       1234     RUNNING\n" +
    "b-2       1240     STOPPED\n\n";
  assert.deepEqual(parseCtrTasks(text), new Map([["b-1", "RUNNING"], ["b-2", "STOPPED"]]));
  assert.deepEqual(parseCtrTasks("TASK    PID    STATUS\n"), new Map());
});
