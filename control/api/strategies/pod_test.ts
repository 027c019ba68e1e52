import assert from "node:assert/strict";
import type { Binding, Pod } from "../types/core_v1_pod.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  bindPod,
  newPodStrategy,
  podStrategy,
  preparePodStatusUpdate,
  UPDATABLE_POD_SPEC_FIELDS,
  validatePodBinding,
} from "./pod.ts";

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const strategy = newPodStrategy({ now: () => NOW });

function pod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", ...meta },
    spec: { containers: [{ name: "web", image: "nginx:1.25" }], ...spec },
  };
}

/** A pod as created: defaulted and prepared. */
function created(
  spec: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
): KubeObject {
  const p = pod(spec, meta);
  strategy.default!(p);
  strategy.prepareForCreate!(p);
  return p;
}

function messages(errs: readonly { toString(): string }[]): string[] {
  return errs.map(String);
}

Deno.test("podStrategy.prepareForCreate() resets status to Pending with the QoS class", async (t) => {
  const cases: { name: string; resources?: Record<string, unknown>; want: string }[] = [
    { name: "no resources", want: "BestEffort" },
    {
      name: "limits only (requests defaulted)",
      resources: { limits: { cpu: "1", memory: "1Gi" } },
      want: "Guaranteed",
    },
    { name: "requests only", resources: { requests: { cpu: "100m" } }, want: "Burstable" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const p = pod({
        containers: [{
          name: "web",
          image: "nginx",
          ...(c.resources ? { resources: c.resources } : {}),
        }],
      });
      p.status = { phase: "Running", podIP: "10.0.0.1" };
      strategy.default!(p);
      strategy.prepareForCreate!(p);
      assert.deepEqual(p.status, { phase: "Pending", qosClass: c.want });
    });
  }
});

Deno.test("podStrategy.prepareForCreate() adds the SchedulingGated condition to gated pods", () => {
  const p = created({ schedulingGates: [{ name: "example.com/wait" }] });
  assert.deepEqual((p as Pod).status?.conditions, [{
    type: "PodScheduled",
    status: "False",
    lastTransitionTime: "2025-01-02T03:04:05Z",
    reason: "SchedulingGated",
    message: "Scheduling is blocked due to non-empty scheduling gates",
  }]);
});

Deno.test("podStrategy.prepareForCreate() drops fields of features off in 1.33", () => {
  const p = created({
    resources: { limits: { cpu: "1" } },
    volumes: [{ name: "img", image: { reference: "busybox" } }],
    containers: [{
      name: "web",
      image: "nginx",
      lifecycle: { stopSignal: "SIGUSR1" },
      volumeMounts: [{ name: "img", mountPath: "/img" }],
    }],
  }) as Pod;
  assert.equal(p.spec?.resources, undefined);
  assert.equal(p.spec?.volumes, undefined);
  assert.deepEqual(p.spec?.containers[0]?.lifecycle, {});
  assert.equal(p.spec?.containers[0]?.volumeMounts, undefined);
});

Deno.test("podStrategy.prepareForCreate() merges matchLabelKeys into affinity selectors", () => {
  const p = created({
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{
          topologyKey: "kubernetes.io/hostname",
          labelSelector: { matchLabels: { app: "web" } },
          matchLabelKeys: ["pod-template-hash"],
        }],
      },
    },
  }, { labels: { app: "web", "pod-template-hash": "abc" } }) as Pod;
  const term = p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.[0];
  assert.deepEqual(term?.labelSelector?.matchExpressions, [
    { key: "pod-template-hash", operator: "In", values: ["abc"] },
  ]);
});

Deno.test("podStrategy.validateCreate() adds the create-only checks", () => {
  const p = created({
    ephemeralContainers: [{ name: "dbg", image: "busybox" }],
    nodeName: "n1",
    schedulingGates: [{ name: "gate" }],
  });
  assert.deepEqual(messages([...strategy.validate!(p), ...strategy.validateCreate!(p)]), [
    "spec.ephemeralContainers: Forbidden: cannot be set on create",
    "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared",
  ]);
  const updated = structuredClone(p);
  strategy.prepareForUpdate!(updated, p);
  assert.deepEqual(messages(strategy.validate!(updated)), []);
});

Deno.test("podStrategy.validate() forbids service account tokens without a service account", () => {
  const p = created({
    volumes: [{ name: "t", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } }],
  });
  assert.deepEqual(messages(strategy.validate!(p)), [
    "spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set",
  ]);
});

Deno.test("podStrategy.validateUpdate() allows only upstream's mutable fields", async (t) => {
  const base = () =>
    created({ activeDeadlineSeconds: 60, tolerations: [{ key: "a", operator: "Exists" }] });
  const cases: { name: string; change: (spec: Record<string, unknown>) => void; want: string[] }[] =
    [
      { name: "nothing changed", change: () => {}, want: [] },
      {
        name: "image",
        change: (s) => ((s.containers as { image: string }[])[0]!.image = "nginx:1.26"),
        want: [],
      },
      {
        name: "lower activeDeadlineSeconds",
        change: (s) => (s.activeDeadlineSeconds = 30),
        want: [],
      },
      {
        name: "raise activeDeadlineSeconds",
        change: (s) => (s.activeDeadlineSeconds = 90),
        want: [
          "spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value",
        ],
      },
      {
        name: "unset activeDeadlineSeconds",
        change: (s) => delete s.activeDeadlineSeconds,
        want: [
          "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value",
        ],
      },
      {
        name: "add a toleration",
        change: (s) => (s.tolerations as unknown[]).push({ key: "b", operator: "Exists" }),
        want: [],
      },
      {
        name: "remove a toleration",
        change: (s) => (s.tolerations = []),
        want: [
          "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds",
        ],
      },
      {
        name: "add a container",
        change: (s) => (s.containers as unknown[]).push({ name: "b", image: "x" }),
        want: ["spec.containers: Forbidden: pod updates may not add or remove containers"],
      },
      {
        name: "empty image",
        change: (s) => ((s.containers as { image: string }[])[0]!.image = ""),
        want: ["spec.containers[0].image: Required value"],
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const old = base();
      const next = structuredClone(old);
      c.change(next.spec as Record<string, unknown>);
      assert.deepEqual(messages(strategy.validateUpdate!(next, old)), c.want);
    });
  }
});

Deno.test("podStrategy.validateUpdate() forbids other changes with upstream's field list and a diff", () => {
  const old = created();
  const next = structuredClone(old);
  (next.spec as Record<string, unknown>).restartPolicy = "Never";
  const errs = strategy.validateUpdate!(next, old);
  assert.equal(errs.length, 1);
  const text = errs[0]!.toString();
  assert.ok(
    text.startsWith(
      `spec: Forbidden: pod updates may not change fields other than ${
        UPDATABLE_POD_SPEC_FIELDS.join(",")
      }\n`,
    ),
    text,
  );
  assert.match(text, /- \tRestartPolicy: "Always",\n\+ \tRestartPolicy: "Never",/);
  assert.match(text, /identical fields/);
});

Deno.test("podStrategy.validateUpdate() allows only removing scheduling gates", () => {
  const old = created({ schedulingGates: [{ name: "a" }] });
  const removed = structuredClone(old);
  delete (removed.spec as Record<string, unknown>).schedulingGates;
  assert.deepEqual(messages(strategy.validateUpdate!(removed, old)), []);
  const added = structuredClone(old);
  (added.spec as Record<string, unknown>).schedulingGates = [{ name: "a" }, { name: "b" }];
  assert.deepEqual(messages(strategy.validateUpdate!(added, old)), [
    "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'b'",
  ]);
});

Deno.test("podStrategy.prepareForStatusUpdate() keeps QoS and syncs pod IPs", () => {
  const old = created();
  const next = structuredClone(old);
  next.status = { phase: "Running", podIP: "10.42.0.5", observedGeneration: 3 };
  strategy.prepareForStatusUpdate!(next, old);
  assert.deepEqual(messages(strategy.validateStatusUpdate!(next, old)), []);
  assert.deepEqual(next.status, {
    phase: "Running",
    podIP: "10.42.0.5",
    podIPs: [{ ip: "10.42.0.5" }],
    qosClass: "BestEffort",
  });
});

Deno.test("podStrategy.validateStatusUpdate() rejects bad IPs and terminated containers restarting", () => {
  const old = created({ restartPolicy: "Never" });
  (old as Pod).status!.containerStatuses = [{
    name: "web",
    ready: false,
    restartCount: 0,
    image: "nginx",
    imageID: "",
    state: { terminated: { exitCode: 0 } },
  }];
  const next = structuredClone(old);
  (next as Pod).status!.containerStatuses![0]!.state = { running: {} };
  (next as Pod).status!.podIPs = [{ ip: "bad" }];
  (next as Pod).status!.podIP = "bad";
  strategy.prepareForStatusUpdate!(next, old);
  assert.deepEqual(messages(strategy.validateStatusUpdate!(next, old)), [
    "status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state",
    'status.podIPs[0]: Invalid value: "bad": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
});

Deno.test("preparePodStatusUpdate() fills podIP from podIPs", () => {
  const old = created();
  const next = structuredClone(old);
  next.status = { podIPs: [{ ip: "10.0.0.9" }, { ip: "fd00::9" }] };
  preparePodStatusUpdate(next, old);
  assert.equal((next as Pod).status?.podIP, "10.0.0.9");
});

Deno.test("validatePodBinding() checks the target", () => {
  const binding = (
    target: Record<string, string>,
  ) => ({ metadata: { name: "web" }, target } as unknown as Binding);
  assert.deepEqual(messages(validatePodBinding(binding({ kind: "Node", name: "n1" }))), []);
  assert.deepEqual(messages(validatePodBinding(binding({ kind: "Pod" }))), [
    'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
    "target.name: Required value",
  ]);
});

Deno.test("bindPod() sets nodeName and PodScheduled, refusing bound pods", () => {
  const p = created() as Pod;
  const binding = {
    metadata: { name: "web", annotations: { a: "b" } },
    target: { kind: "Node", name: "n1" },
  } as Binding;
  assert.equal(bindPod(p, { binding, now: () => NOW }), null);
  assert.equal(p.spec?.nodeName, "n1");
  assert.equal(p.metadata?.annotations?.a, "b");
  assert.deepEqual(p.status?.conditions, [{
    type: "PodScheduled",
    status: "True",
    lastTransitionTime: "2025-01-02T03:04:05Z",
  }]);
  assert.deepEqual(bindPod(p, { binding }), {
    reason: "conflict",
    message: 'pod web is already assigned to node "n1"',
  });
});

Deno.test("podStrategy.warnings() warns about pod names that are not DNS labels", () => {
  assert.deepEqual(podStrategy.warnings!(pod({}, { name: "web" })), []);
  assert.equal(podStrategy.warnings!(pod({}, { name: "web.v1" })).length, 1);
});

Deno.test("podStrategy.prepareForStatusUpdate() keeps the stored owner references", () => {
  const old = created();
  old.metadata = { ...old.metadata, ownerReferences: [ownerRef("rs-1")] };
  const next = structuredClone(old);
  next.metadata!.ownerReferences = [ownerRef("other")];
  next.metadata!.labels = { changed: "yes" };
  strategy.prepareForStatusUpdate!(next, old);
  assert.deepEqual(next.metadata?.ownerReferences, [ownerRef("rs-1")]);
  assert.deepEqual(next.metadata?.labels, { changed: "yes" });
  const orphan = created();
  const write = structuredClone(orphan);
  write.metadata!.ownerReferences = [ownerRef("x")];
  strategy.prepareForStatusUpdate!(write, orphan);
  assert.equal(write.metadata?.ownerReferences, undefined);
});

Deno.test("podStrategy.warnings() warns about the name on create only", () => {
  const p = pod({}, { name: "web.v1" });
  assert.equal(strategy.warnings!(p).length, 1);
  assert.deepEqual(strategy.warnings!(p, p), []);
});

function ownerRef(name: string) {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", name, uid: `uid-${name}`, controller: true };
}
