import assert from "node:assert/strict";
import type { NamespaceStatus } from "../api/types/core_v1_namespace.ts";
import { GroupDiscoveryFailedError } from "./_api_discovery.ts";
import {
  NAMESPACE_DELETION_CONDITION_TYPES,
  NamespaceConditionUpdater,
} from "./_namespace_conditions.ts";

const T0 = "2024-05-01T10:00:00Z";
const T1 = "2024-05-01T10:05:00Z";

function summary(status: NamespaceStatus): string[] {
  return (status.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`);
}

Deno.test("NamespaceConditionUpdater.update() writes every type's ok variant when nothing failed", () => {
  const status: NamespaceStatus = { phase: "Terminating" };
  const updater = new NamespaceConditionUpdater(T0);
  assert.equal(updater.update(status), true);
  assert.deepEqual(summary(status), [
    "NamespaceDeletionDiscoveryFailure=False ResourcesDiscovered: All resources successfully discovered",
    "NamespaceDeletionGroupVersionParsingFailure=False ParsedGroupVersions: All legacy kube types successfully parsed",
    "NamespaceDeletionContentFailure=False ContentDeleted: All content successfully deleted, may be waiting on finalization",
    "NamespaceContentRemaining=False ContentRemoved: All content successfully removed",
    "NamespaceFinalizersRemaining=False ContentRemoved: All content successfully removed",
  ]);
  assert.ok(status.conditions?.every((c) => c.lastTransitionTime === T0));
  assert.deepEqual(status.conditions?.map((c) => c.type), [...NAMESPACE_DELETION_CONDITION_TYPES]);
});

Deno.test("NamespaceConditionUpdater reports failures with upstream's reasons and messages", async (t) => {
  const cases: {
    name: string;
    process: (u: NamespaceConditionUpdater) => void;
    want: string;
  }[] = [
    {
      name: "a partial discovery failure",
      process: (u) =>
        u.processDiscoverResourcesErr(
          new GroupDiscoveryFailedError(new Map([["batch/v1", new Error("timeout")]])),
        ),
      want:
        "NamespaceDeletionDiscoveryFailure=True DiscoveryFailed: Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: batch/v1: timeout",
    },
    {
      name: "a total discovery failure",
      process: (u) => u.processDiscoverResourcesErr(new Error("connection refused")),
      want: "NamespaceDeletionDiscoveryFailure=True DiscoveryFailed: connection refused",
    },
    {
      name: "a bad group-version",
      process: (u) => u.processGroupVersionErr(new Error("unexpected GroupVersion string: a/b/c")),
      want:
        "NamespaceDeletionGroupVersionParsingFailure=True GroupVersionParsingFailed: unexpected GroupVersion string: a/b/c",
    },
    {
      name: "content deletion failures, sorted",
      process: (u) => {
        u.processDeleteContentErr(new Error("b failed"));
        u.processDeleteContentErr(new Error("a failed"));
      },
      want:
        "NamespaceDeletionContentFailure=True ContentDeletionFailed: Failed to delete all resource types, 2 remaining: a failed, b failed",
    },
    {
      name: "remaining resources, sorted",
      process: (u) =>
        u.processContentTotals({
          remainingByResource: new Map([
            ["apps/deployments", { resource: "deployments", group: "apps", count: 1 }],
            ["/pods", { resource: "pods", group: "", count: 2 }],
          ]),
          remainingByFinalizer: new Map(),
        }),
      want:
        "NamespaceContentRemaining=True SomeResourcesRemain: Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances",
    },
    {
      name: "remaining finalizers",
      process: (u) =>
        u.processContentTotals({
          remainingByResource: new Map([["/pods", { resource: "pods", group: "", count: 3 }]]),
          remainingByFinalizer: new Map([["example.com/b", 1], ["example.com/a", 2]]),
        }),
      want:
        "NamespaceFinalizersRemaining=True SomeFinalizerRemain: Some finalizers are remaining: example.com/a in 2 resource instances, example.com/b in 1 resource instances",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const status: NamespaceStatus = {};
      const updater = new NamespaceConditionUpdater(T0);
      c.process(updater);
      updater.update(status);
      assert.ok(summary(status).includes(c.want), summary(status).join("\n"));
    });
  }
});

Deno.test("NamespaceConditionUpdater.update() moves lastTransitionTime only when the status changes", async (t) => {
  const status: NamespaceStatus = {};
  const first = new NamespaceConditionUpdater(T0);
  first.processContentTotals({
    remainingByResource: new Map([["/pods", { resource: "pods", group: "", count: 2 }]]),
    remainingByFinalizer: new Map(),
  });
  first.update(status);
  const remaining = () => status.conditions?.find((c) => c.type === "NamespaceContentRemaining");

  await t.step("the same result changes nothing", () => {
    const again = new NamespaceConditionUpdater(T1);
    again.processContentTotals({
      remainingByResource: new Map([["/pods", { resource: "pods", group: "", count: 2 }]]),
      remainingByFinalizer: new Map(),
    });
    assert.equal(again.update(status), false);
    assert.equal(remaining()?.lastTransitionTime, T0);
  });
  await t.step("a new message keeps the transition time", () => {
    const fewer = new NamespaceConditionUpdater(T1);
    fewer.processContentTotals({
      remainingByResource: new Map([["/pods", { resource: "pods", group: "", count: 1 }]]),
      remainingByFinalizer: new Map(),
    });
    assert.equal(fewer.update(status), true);
    assert.equal(
      remaining()?.message,
      "Some resources are remaining: pods. has 1 resource instances",
    );
    assert.equal(remaining()?.lastTransitionTime, T0);
  });
  await t.step("a new status moves it", () => {
    const done = new NamespaceConditionUpdater(T1);
    assert.equal(done.update(status), true);
    assert.equal(remaining()?.status, "False");
    assert.equal(remaining()?.reason, "ContentRemoved");
    assert.equal(remaining()?.lastTransitionTime, T1);
  });
});
