import assert from "node:assert/strict";
import type { Service } from "../api/types/core_v1_service.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import { EndpointSliceTracker } from "./_endpoint_slice_tracker.ts";

function slice(uid: string, generation: number, service = "web"): EndpointSlice {
  return {
    metadata: {
      namespace: "shop",
      name: `${service}-${uid}`,
      uid,
      generation,
      labels: { "kubernetes.io/service-name": service },
    },
    addressType: "IPv4",
  };
}

const SERVICE: Service = { metadata: { namespace: "shop", name: "web", uid: "svc-1" } };

Deno.test("EndpointSliceTracker.shouldSync() is false only for the controller's own last write", async (t) => {
  const tracker = new EndpointSliceTracker();
  await t.step("unknown slices", () => assert.equal(tracker.shouldSync(slice("a", 1)), true));
  tracker.update(slice("a", 2));
  await t.step(
    "the written generation",
    () => assert.equal(tracker.shouldSync(slice("a", 2)), false),
  );
  await t.step("an older one", () => assert.equal(tracker.shouldSync(slice("a", 1)), false));
  await t.step("a newer one", () => assert.equal(tracker.shouldSync(slice("a", 3)), true));
});

Deno.test("EndpointSliceTracker.staleSlices() tells when the cache lags the writes", async (t) => {
  const tracker = new EndpointSliceTracker();
  await t.step("nothing written: never", () => {
    assert.equal(tracker.staleSlices(SERVICE, [slice("a", 1)]), false);
  });
  tracker.update(slice("a", 2));
  tracker.update(slice("b", 1));
  const cases = [
    { name: "caught up", slices: [slice("a", 2), slice("b", 1)], want: false },
    { name: "an older generation", slices: [slice("a", 1), slice("b", 1)], want: true },
    { name: "a written slice missing", slices: [slice("a", 2)], want: true },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(tracker.staleSlices(SERVICE, c.slices), c.want));
  }
  tracker.expectDeletion(slice("b", 1));
  await t.step("a deleted slice still there", () => {
    assert.equal(tracker.staleSlices(SERVICE, [slice("a", 2), slice("b", 1)]), true);
  });
  await t.step("a deleted slice gone", () => {
    assert.equal(tracker.staleSlices(SERVICE, [slice("a", 2)]), false);
  });
  await t.step("a recreated Service starts afresh", () => {
    const recreated = { metadata: { ...SERVICE.metadata, uid: "svc-2" } };
    assert.equal(tracker.staleSlices(recreated, []), false);
  });
});

Deno.test("EndpointSliceTracker.handleDeletion() tells the controller's deletes from others'", () => {
  const tracker = new EndpointSliceTracker();
  tracker.update(slice("a", 1));
  tracker.expectDeletion(slice("b", 1));
  assert.equal(tracker.handleDeletion(slice("b", 1)), true);
  assert.equal(tracker.handleDeletion(slice("a", 1)), false);
  assert.equal(tracker.has(slice("a", 1)), false);
  assert.equal(tracker.handleDeletion(slice("c", 1)), false, "an unknown slice was not expected");
});
