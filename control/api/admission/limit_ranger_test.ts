import assert from "node:assert/strict";
import type { LimitRange, LimitRangeItem } from "../types/core_v1_policy.ts";
import type { Container, Pod } from "../types/core_v1_pod.ts";
import type { PersistentVolumeClaim } from "../types/core_v1_storage.ts";
import { attrs, def, rejection, testViews } from "./_test_fixtures.ts";
import {
  applyLimitRangeDefaults,
  claimLimitError,
  LimitRanger,
  limitRequestRatioConstraint,
  maxConstraint,
  maxRequestConstraint,
  minConstraint,
  podLimitError,
  podResources,
} from "./limit_ranger.ts";

const PODS = def("", "pods");
const PVCS = def("", "persistentvolumeclaims");

function limitRange(name: string, limits: LimitRangeItem[], namespace = "default"): LimitRange {
  return { apiVersion: "v1", kind: "LimitRange", metadata: { name, namespace }, spec: { limits } };
}

function pod(containers: Container[], initContainers?: Container[]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { containers, ...(initContainers ? { initContainers } : {}) },
  };
}

function container(
  name: string,
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> },
): Container {
  return { name, image: "nginx", ...(resources ? { resources } : {}) };
}

function claim(storage: string | undefined, name = "data"): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { resources: { requests: storage ? { storage } : {} } },
  };
}

Deno.test("the constraint checks print upstream's messages", async (t) => {
  const c = { limitType: "Container", resource: "cpu" };
  const cases: { name: string; got: string | null; want: string | null }[] = [
    {
      name: "min without request",
      got: minConstraint({ ...c, enforced: "100m" }, { requests: {}, limits: {} }),
      want: "minimum cpu usage per Container is 100m.  No request is specified",
    },
    {
      name: "min below",
      got: minConstraint({ ...c, enforced: "100m" }, { requests: { cpu: "50m" }, limits: {} }),
      want: "minimum cpu usage per Container is 100m, but request is 50m",
    },
    {
      name: "min limit below",
      got: minConstraint({ ...c, enforced: "100m" }, {
        requests: { cpu: "200m" },
        limits: { cpu: "0.05" },
      }),
      want: "minimum cpu usage per Container is 100m, but limit is 50m",
    },
    {
      name: "min met",
      got: minConstraint({ ...c, enforced: "0.1" }, { requests: { cpu: "100m" }, limits: {} }),
      want: null,
    },
    {
      name: "max without limit",
      got: maxConstraint({ ...c, enforced: "1" }, { requests: { cpu: "1" }, limits: {} }),
      want: "maximum cpu usage per Container is 1.  No limit is specified",
    },
    {
      name: "max limit above",
      got: maxConstraint({ ...c, enforced: "1" }, { requests: {}, limits: { cpu: "2" } }),
      want: "maximum cpu usage per Container is 1, but limit is 2",
    },
    {
      name: "max request above",
      got: maxConstraint({ ...c, enforced: "1" }, {
        requests: { cpu: "1500m" },
        limits: { cpu: "1" },
      }),
      want: "maximum cpu usage per Container is 1, but request is 1500m",
    },
    {
      name: "max of memory met",
      got: maxConstraint({ limitType: "Pod", resource: "memory", enforced: "1Gi" }, {
        requests: {},
        limits: { memory: "1024Mi" },
      }),
      want: null,
    },
    {
      name: "max request of a claim",
      got: maxRequestConstraint(
        { limitType: "PersistentVolumeClaim", resource: "storage", enforced: "5Gi" },
        { storage: "10Gi" },
      ),
      want: "maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi",
    },
    {
      name: "ratio without request",
      got: limitRequestRatioConstraint({ ...c, enforced: "2" }, {
        requests: { cpu: "0" },
        limits: { cpu: "1" },
      }),
      want:
        "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0",
    },
    {
      name: "ratio without limit",
      got: limitRequestRatioConstraint({ ...c, enforced: "2" }, {
        requests: { cpu: "1" },
        limits: {},
      }),
      want:
        "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0",
    },
    {
      name: "ratio above",
      got: limitRequestRatioConstraint({ ...c, enforced: "2" }, {
        requests: { cpu: "300m" },
        limits: { cpu: "1" },
      }),
      want: "cpu max limit to request ratio per Container is 2, but provided ratio is 3.333333",
    },
    {
      name: "ratio at the bound",
      got: limitRequestRatioConstraint({ ...c, enforced: "1500m" }, {
        requests: { cpu: "2" },
        limits: { cpu: "3" },
      }),
      want: null,
    },
  ];
  for (const k of cases) await t.step(k.name, () => assert.equal(k.got, k.want));
});

Deno.test("podResources() sums containers and sidecars and takes the largest init need", async (t) => {
  const cases: { name: string; pod: Pod; want: Record<string, string> }[] = [
    {
      name: "containers add up",
      pod: pod([
        container("a", { requests: { cpu: "100m" } }),
        container("b", { requests: { cpu: "200m", memory: "64Mi" } }),
      ]),
      want: { cpu: "300m", memory: "64Mi" },
    },
    {
      name: "an init container larger than the rest wins",
      pod: pod([container("a", { requests: { cpu: "100m" } })], [
        container("init", { requests: { cpu: "1" } }),
      ]),
      want: { cpu: "1" },
    },
    {
      name: "sidecars add to the containers and to later init containers",
      pod: pod([container("a", { requests: { cpu: "100m" } })], [
        { ...container("side", { requests: { cpu: "200m" } }), restartPolicy: "Always" },
        container("init", { requests: { cpu: "250m" } }),
      ]),
      want: { cpu: "450m" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(podResources(c.pod, "requests"), c.want));
  }
});

Deno.test("applyLimitRangeDefaults() fills what containers leave out and says so", () => {
  const lr = limitRange("defaults", [{
    type: "Container",
    default: { cpu: "500m", memory: "256Mi" },
    defaultRequest: { cpu: "100m", memory: "128Mi" },
  }, { type: "Pod", max: { cpu: "4" } }]);
  const p = pod([
    container("web"),
    container("side", { requests: { cpu: "50m" }, limits: { memory: "1Gi" } }),
  ], [container("init")]);
  applyLimitRangeDefaults(lr, p);
  assert.deepEqual(p.spec?.containers[0]?.resources, {
    limits: { cpu: "500m", memory: "256Mi" },
    requests: { cpu: "100m", memory: "128Mi" },
  });
  assert.deepEqual(p.spec?.containers[1]?.resources, {
    requests: { cpu: "50m", memory: "128Mi" },
    limits: { memory: "1Gi", cpu: "500m" },
  });
  assert.equal(
    p.metadata?.annotations?.["kubernetes.io/limit-ranger"],
    "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; memory request for container side; cpu limit for container side; cpu, memory request for init container init; cpu, memory limit for init container init",
  );
});

Deno.test("applyLimitRangeDefaults() adds no annotation when nothing was set", () => {
  const p = pod([container("web", { requests: { cpu: "1" }, limits: { cpu: "1" } })]);
  applyLimitRangeDefaults(limitRange("x", [{ type: "Container", default: { cpu: "2" } }]), p);
  assert.equal(p.metadata?.annotations, undefined);
  assert.deepEqual(p.spec?.containers[0]?.resources, {
    requests: { cpu: "1" },
    limits: { cpu: "1" },
  });
});

Deno.test("podLimitError() checks containers, init containers and the whole pod", async (t) => {
  const cases: { name: string; items: LimitRangeItem[]; pod: Pod; want: string | null }[] = [
    {
      name: "within limits",
      items: [{ type: "Container", max: { cpu: "1" } }],
      pod: pod([container("a", { limits: { cpu: "1" } })]),
      want: null,
    },
    {
      name: "an init container too",
      items: [{ type: "Container", max: { cpu: "1" } }],
      pod: pod([container("a", { limits: { cpu: "1" } })], [
        container("i", { limits: { cpu: "3" } }),
      ]),
      want: "maximum cpu usage per Container is 1, but limit is 3",
    },
    {
      name: "several, deduplicated, in brackets",
      items: [{ type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" } }],
      pod: pod([
        container("a", { limits: { cpu: "2" } }),
        container("b", { limits: { cpu: "2" } }),
      ]),
      want:
        "[minimum memory usage per Container is 64Mi.  No request is specified, maximum cpu usage per Container is 1, but limit is 2]",
    },
    {
      name: "pod sum",
      items: [{ type: "Pod", max: { memory: "1Gi" } }],
      pod: pod([
        container("a", { limits: { memory: "768Mi" } }),
        container("b", { limits: { memory: "512Mi" } }),
      ]),
      want: "maximum memory usage per Pod is 1Gi, but limit is 1280Mi",
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.equal(podLimitError(limitRange("lr", c.items), c.pod), c.want),
    );
  }
});

Deno.test("claimLimitError() bounds a claim's storage request", async (t) => {
  const lr = limitRange("storage", [{
    type: "PersistentVolumeClaim",
    min: { storage: "1Gi" },
    max: { storage: "10Gi" },
  }]);
  const cases: [string | undefined, string | null][] = [
    ["5Gi", null],
    ["500Mi", "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"],
    ["20Gi", "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"],
    [
      undefined,
      "[minimum storage usage per PersistentVolumeClaim is 1Gi.  No request is specified, maximum storage usage per PersistentVolumeClaim is 10Gi.  No request is specified]",
    ],
  ];
  for (const [storage, want] of cases) {
    await t.step(String(storage), () => assert.equal(claimLimitError(lr, claim(storage)), want));
  }
});

Deno.test("LimitRanger defaults and checks new pods in the LimitRange's namespace", async () => {
  await using v = await testViews({
    limitranges: [
      limitRange("cpu", [{
        type: "Container",
        max: { cpu: "1" },
        default: { cpu: "500m" },
        defaultRequest: { cpu: "250m" },
      }]),
      limitRange("elsewhere", [{ type: "Container", default: { memory: "1Gi" } }], "other"),
    ],
  });
  const plugin = new LimitRanger({ views: v.views });
  const p = pod([container("web")]);
  const a = attrs("CREATE", { def: PODS, object: p });
  await plugin.admit(a);
  await plugin.validate(a);
  assert.deepEqual(p.spec?.containers[0]?.resources, {
    limits: { cpu: "500m" },
    requests: { cpu: "250m" },
  });
  const big = pod([container("web", { limits: { cpu: "2" } })]);
  const b = attrs("CREATE", { def: PODS, object: big });
  await plugin.admit(b);
  const err = await rejection(plugin.validate(b));
  assert.equal(err.code, 403);
  assert.equal(
    err.message,
    'pods "web" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
  );
});

Deno.test("LimitRanger ignores pod updates and subresources, checks claim updates", async (t) => {
  await using v = await testViews({
    limitranges: [
      limitRange("lr", [
        { type: "Container", max: { cpu: "1" } },
        { type: "PersistentVolumeClaim", max: { storage: "1Gi" } },
      ]),
    ],
  });
  const plugin = new LimitRanger({ views: v.views });
  const tooBig = pod([container("web", { limits: { cpu: "2" } })]);
  await t.step("pod update", async () => {
    await plugin.validate(attrs("UPDATE", { def: PODS, object: tooBig, oldObject: tooBig }));
  });
  await t.step("pod status", async () => {
    await plugin.validate(attrs("CREATE", { def: PODS, object: tooBig, subresource: "status" }));
  });
  await t.step("claim update", async () => {
    const err = await rejection(
      plugin.validate(
        attrs("UPDATE", { def: PVCS, object: claim("2Gi"), oldObject: claim("1Gi") }),
      ),
    );
    assert.equal(
      err.message,
      'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 2Gi',
    );
  });
  await t.step("claim being deleted", async () => {
    const old = claim("1Gi");
    old.metadata!.deletionTimestamp = "2025-01-01T00:00:00Z";
    await plugin.validate(attrs("UPDATE", { def: PVCS, object: claim("2Gi"), oldObject: old }));
  });
});

Deno.test("LimitRanger sees a LimitRange created after it started", async () => {
  await using v = await testViews();
  const plugin = new LimitRanger({ views: v.views });
  const first = pod([container("web")]);
  await plugin.admit(attrs("CREATE", { def: PODS, object: first }));
  assert.equal(first.spec?.containers[0]?.resources, undefined);
  await v.put("limitranges", limitRange("late", [{ type: "Container", default: { cpu: "1" } }]));
  const view = await v.views.started("/registry/limitranges/");
  while (view.size === 0) await new Promise((r) => setTimeout(r, 0));
  const second = pod([container("web")]);
  await plugin.admit(attrs("CREATE", { def: PODS, object: second }));
  assert.deepEqual(second.spec?.containers[0]?.resources, { limits: { cpu: "1" } });
});
