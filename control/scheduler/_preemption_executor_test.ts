import assert from "node:assert/strict";
import type { Pod } from "../api/types/core_v1_pod.ts";
import { Client } from "../client/client.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { EventRecorder } from "./_event_recorder.ts";
import { FakeApi, until } from "./_fake_api.ts";
import { PreemptionExecutor } from "./_preemption_executor.ts";
import { testPod } from "./_testing.ts";

function setup(api: FakeApi) {
  const client = new Client(api);
  const activated: string[] = [];
  const recorder = new EventRecorder({
    client,
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    reportingController: "default-scheduler",
    reportingInstance: "default-scheduler-edge-1",
  });
  const executor = new PreemptionExecutor({
    client,
    logger: new RecordingLogger(),
    now: () => "2026-05-01T10:00:00Z",
    recorderFor: () => recorder,
    activate: (pod) => activated.push(pod.metadata?.name ?? ""),
  });
  return { executor, activated, recorder };
}

const PREEMPTOR: Pod = testPod({ name: "high", uid: "u-high", priority: 100 });

Deno.test("PreemptionExecutor evicts victims, the last after it stops reporting the preemptor", async () => {
  const api = new FakeApi();
  const victims = ["v1", "v2"].map((name) =>
    api.put("pods", testPod({ name, nodeName: "a" })) as Pod
  );
  const nominated = api.put("pods", {
    ...testPod({ name: "low" }),
    status: { nominatedNodeName: "a" },
  }) as Pod;
  const { executor, activated, recorder } = setup(api);
  const preemptingAtDelete: Record<string, boolean> = {};
  api.intercept = (req) => {
    if (req.method === "DELETE") {
      preemptingAtDelete[req.path.split("/").at(-1)!] = executor.isPreempting("u-high");
    }
    return undefined;
  };
  executor.preempt({
    preemptor: PREEMPTOR,
    nodeName: "a",
    victims,
    nominatedPodsToClear: [nominated],
  });
  assert.ok(executor.isPreempting("u-high"), "marked at once");
  await executor.drain();
  assert.ok(!executor.isPreempting("u-high"));
  assert.deepEqual(preemptingAtDelete, { v1: true, v2: false });
  assert.equal(api.list("pods").length, 1);
  assert.equal((api.get("pods", "default/low") as Pod).status?.nominatedNodeName, undefined);
  await until(() => api.list("events").length === 2, "two Preempted events");
  assert.deepEqual(activated, []);
  await recorder.stop();
});

Deno.test("PreemptionExecutor activates the preemptor when an eviction fails", async (t) => {
  const cases = [
    { name: "a victim already gone is fine", failDelete: false, want: [] },
    { name: "a failed delete", failDelete: true, want: ["high"] },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const api = new FakeApi();
      const gone = testPod({ name: "gone", nodeName: "a" });
      const other = api.put("pods", testPod({ name: "other", nodeName: "a" })) as Pod;
      api.intercept = (req) =>
        c.failDelete && req.method === "DELETE" && req.path.endsWith("/other")
          ? Response.json({ kind: "Status", code: 500, message: "etcd is sad" }, { status: 500 })
          : undefined;
      const { executor, activated, recorder } = setup(api);
      executor.preempt({
        preemptor: PREEMPTOR,
        nodeName: "a",
        victims: [gone, other],
        nominatedPodsToClear: [],
      });
      await executor.drain();
      assert.deepEqual(activated, c.want);
      await recorder.stop();
    });
  }
});
