import assert from "node:assert/strict";
import type { Job } from "../api/types/batch_v1.ts";
import { Client } from "../client/client.ts";
import { FakeClock } from "../util/clock.ts";
import { RecordingLogger } from "../util/logger.ts";
import { FakeInformer } from "./_fake_informer.ts";
import { FakeJobApi } from "./_job_fakes.ts";
import {
  jobExpiresAtMs,
  needsCleanup,
  TTL_AFTER_FINISHED_CONTROLLER_NAME,
  TtlAfterFinishedController,
  ttlAfterFinishedController,
} from "./ttl_after_finished.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function at(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function job(options: { ttl?: number; finishedMs?: number; type?: string; name?: string }): Job {
  const name = options.name ?? "pi";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { namespace: "batch", name, uid: `uid-${name}` },
    spec: {
      ...(options.ttl !== undefined ? { ttlSecondsAfterFinished: options.ttl } : {}),
      template: { spec: { containers: [{ name: "c" }] } },
    },
    status: options.finishedMs === undefined ? { active: 1 } : {
      conditions: [{
        type: options.type ?? "Complete",
        status: "True",
        lastTransitionTime: at(options.finishedMs),
      }],
    },
  };
}

function setup() {
  const clock = new FakeClock(T0);
  const informer = new FakeInformer<Job>();
  const api = new FakeJobApi();
  api.informer = informer;
  const controller = new TtlAfterFinishedController({
    client: new Client(api),
    jobInformer: informer,
    clock,
    logger: new RecordingLogger(),
  });
  return { clock, informer, api, controller };
}

Deno.test("needsCleanup() wants a TTL and a Complete or Failed condition", () => {
  assert.equal(needsCleanup(job({ ttl: 10, finishedMs: T0 })), true);
  assert.equal(needsCleanup(job({ ttl: 10, finishedMs: T0, type: "Failed" })), true);
  assert.equal(needsCleanup(job({ ttl: 10, finishedMs: T0, type: "FailureTarget" })), false);
  assert.equal(needsCleanup(job({ ttl: 10 })), false);
  assert.equal(needsCleanup(job({ finishedMs: T0 })), false);
  assert.equal(jobExpiresAtMs(job({ ttl: 100, finishedMs: T0 })), T0 + 100_000);
  assert.throws(() => jobExpiresAtMs(job({ ttl: 1 })), /job batch\/pi should not be cleaned up/);
});

Deno.test("TtlAfterFinishedController deletes a finished Job when its TTL passes, with foreground propagation", async () => {
  const h = setup();
  h.informer.add(h.api.put(job({ ttl: 60, finishedMs: T0 - 10_000 })));
  assert.equal(h.controller.queue.len(), 1);
  await h.controller.sync("batch/pi");
  assert.equal(h.api.deletes.length, 0);
  // Queued again for the moment it expires: 50 s from now.
  h.controller.queue.done((await h.controller.queue.get())!);
  h.clock.advance(49_999);
  assert.equal(h.controller.queue.len(), 0);
  h.clock.advance(1);
  assert.equal(h.controller.queue.len(), 1);
  await h.controller.sync("batch/pi");
  assert.deepEqual(h.api.deletes, [{
    key: "batch/pi",
    body: {
      kind: "DeleteOptions",
      apiVersion: "v1",
      propagationPolicy: "Foreground",
      preconditions: { uid: "uid-pi" },
    },
  }]);
});

Deno.test("TtlAfterFinishedController ignores Jobs that are running, have no TTL or are being deleted", async () => {
  const h = setup();
  h.informer.add(h.api.put(job({ ttl: 0, name: "running" })));
  h.informer.add(h.api.put(job({ finishedMs: T0 - 3_600_000, name: "no-ttl" })));
  const deleting = job({ ttl: 0, finishedMs: T0 - 1000, name: "deleting" });
  deleting.metadata!.deletionTimestamp = at(T0);
  h.informer.add(h.api.put(deleting));
  assert.equal(h.controller.queue.len(), 0);
  for (const name of ["running", "no-ttl", "deleting"]) await h.controller.sync(`batch/${name}`);
  assert.equal(h.api.deletes.length, 0);
});

Deno.test("TtlAfterFinishedController honours a TTL raised since the cache saw the Job", async () => {
  const h = setup();
  h.informer.seed(h.api.put(job({ ttl: 0, finishedMs: T0 - 5000 })));
  // The stored Job has a longer TTL than the cached one.
  const stored = h.api.job("batch/pi");
  stored.spec!.ttlSecondsAfterFinished = 3600;
  await h.controller.sync("batch/pi");
  assert.deepEqual(h.api.gets, ["batch/pi"]);
  assert.equal(h.api.deletes.length, 0);
});

Deno.test("ttlAfterFinishedController() is the factory of ttl-after-finished", () => {
  assert.equal(TTL_AFTER_FINISHED_CONTROLLER_NAME, "ttl-after-finished");
  assert.equal(typeof ttlAfterFinishedController, "function");
});
