import assert from "node:assert/strict";
import type { Event } from "../types/core_v1_event.ts";
import { eventStrategy, validateLegacyEvent } from "./event.ts";

function event(obj: Partial<Event>): Event {
  return {
    metadata: { name: "web.17f", namespace: "default" },
    involvedObject: { kind: "Pod", name: "web", namespace: "default" },
    ...obj,
  };
}

Deno.test("eventStrategy checks names only as path segments", () => {
  assert.equal(eventStrategy.nameRule, "pathSegment");
});

Deno.test("validateLegacyEvent() matches the involved object's namespace", async (t) => {
  const mismatch = (ns: string) =>
    `involvedObject.namespace: Invalid value: "${ns}": does not match event.namespace`;
  const cases: [string, Partial<Event>, string[]][] = [
    ["same namespace", {}, []],
    ["other namespace", { involvedObject: { kind: "Pod", namespace: "kube-system" } }, [
      mismatch("kube-system"),
    ]],
    ["cluster-scoped object in default", { involvedObject: { kind: "Node", name: "n1" } }, []],
    ["cluster-scoped object elsewhere", {
      metadata: { name: "e", namespace: "team" },
      involvedObject: { kind: "Node", name: "n1" },
    }, [mismatch("")]],
  ];
  for (const [name, obj, want] of cases) {
    await t.step(name, () => assert.deepEqual(validateLegacyEvent(event(obj)).map(String), want));
  }
});

Deno.test("validateLegacyEvent() requires reporting fields on events with an eventTime", () => {
  const errs = validateLegacyEvent(event({ eventTime: "2025-01-01T00:00:00.000000Z" }));
  // The qualified-name messages for "" come from the shared name rules; the rest is ours.
  assert.deepEqual(errs.map(String).filter((e) => !e.includes("Invalid value")), [
    "reportingController: Required value",
    "reportingInstance: Required value",
    "action: Required value",
    "reason: Required value",
  ]);
  assert.ok(
    errs.map(String).includes(
      'reportingController: Invalid value: "": name part must be non-empty',
    ),
  );
  const ok = validateLegacyEvent(event({
    eventTime: "2025-01-01T00:00:00.000000Z",
    reportingComponent: "kubernetes.io/kubelet",
    reportingInstance: "kubelet-node-1",
    action: "Pulling",
    reason: "Pulling",
    message: "m".repeat(1025),
  }));
  assert.deepEqual(ok.map(String), [
    'message: Invalid value: "": can have at most 1024 characters',
  ]);
});
