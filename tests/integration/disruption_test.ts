/**
 * The disruption controller with the Deployment and ReplicaSet controllers, run by the
 * ControllerManager against the real API in process, with a fake kubelet making pods ready: a
 * PodDisruptionBudget over a Deployment's pods follows them as they become ready and not ready,
 * in its integer and percentage forms, and the pods' eviction subresource (what `kubectl drain`
 * posts) refuses with 429 while the budget allows no disruption and evicts otherwise.
 */
import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type {
  PodDisruptionBudget,
  PodDisruptionBudgetSpec,
} from "../../control/api/types/policy_v1.ts";
import { StatusError } from "../../control/client/errors.ts";
import { DEPLOYMENTS, POD_DISRUPTION_BUDGETS, PODS } from "../../control/client/resources.ts";
import { isPodReady } from "../../control/controllers/active_pods.ts";
import { defaultControllers } from "../../control/controllers/controller_manager.ts";
import {
  DISRUPTION_CONTROLLER_NAME,
  disruptionController,
} from "../../control/controllers/disruption.ts";
import { type ControllerApi, startControllerApi, until } from "../_support/controller_api.ts";
import { FakeKubelet } from "../_support/fake_kubelet.ts";
import { startTestManager } from "../_support/test_manager.ts";
import { testDeployment } from "../_support/workloads.ts";

const NS = "default";

function budget(spec: PodDisruptionBudgetSpec): PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { namespace: NS, name: "web" },
    spec: { selector: { matchLabels: { app: "web" } }, ...spec },
  };
}

interface Counts {
  readonly expectedPods: number;
  readonly desiredHealthy: number;
  readonly currentHealthy: number;
  readonly disruptionsAllowed: number;
}

/** Whether the budget's status is current and shows `want`, with a matching condition. */
function shows(pdb: PodDisruptionBudget, want: Counts): boolean {
  const s = pdb.status;
  if (!s || (s.observedGeneration ?? 0) !== (pdb.metadata?.generation ?? 0)) return false;
  const cond = s.conditions?.find((c) => c.type === "DisruptionAllowed");
  const condOk = want.disruptionsAllowed > 0
    ? cond?.status === "True" && cond.reason === "SufficientPods"
    : cond?.status === "False" && cond.reason === "InsufficientPods";
  return condOk && s.expectedPods === want.expectedPods &&
    s.desiredHealthy === want.desiredHealthy && s.currentHealthy === want.currentHealthy &&
    s.disruptionsAllowed === want.disruptionsAllowed;
}

/** The Deployment and ReplicaSet controllers plus the disruption controller, and a kubelet. */
async function cluster(api: ControllerApi, options: { ready?: (pod: Pod) => boolean } = {}) {
  const kubelet = await FakeKubelet.start({
    client: api.client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
    ...(options.ready ? { ready: options.ready } : {}),
  });
  const manager = startTestManager(api.transport, {
    registry: [
      ...defaultControllers(),
      { name: DISRUPTION_CONTROLLER_NAME, factory: disruptionController },
    ],
    controllers: ["replicaset", "deployment", DISRUPTION_CONTROLLER_NAME],
  });
  const pdbs = api.client.resource(POD_DISRUPTION_BUDGETS);
  const pods = api.client.resource(PODS);
  return {
    kubelet,
    pdbs,
    pods,
    async readyPods(): Promise<Pod[]> {
      return (await pods.list({ namespace: NS, labelSelector: "app=web" })).items
        .filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p));
    },
    async waitFor(want: Counts, what: string): Promise<PodDisruptionBudget> {
      let last: PodDisruptionBudget | undefined;
      await until(async () => {
        last = await pdbs.get("web", { namespace: NS });
        return shows(last, want);
      }, { what: `${what} (last status: ${JSON.stringify(last?.status)})`, timeoutMs: 15_000 });
      return last!;
    },
    /** Replaces the budget's minAvailable / maxUnavailable (a merge patch: no conflicts). */
    async setBudget(spec: PodDisruptionBudgetSpec): Promise<PodDisruptionBudget> {
      return await pdbs.patch("web", {
        namespace: NS,
        type: "merge",
        body: {
          spec: {
            minAvailable: spec.minAvailable ?? null,
            maxUnavailable: spec.maxUnavailable ?? null,
          },
        },
      });
    },
    async evict(name: string): Promise<unknown> {
      return await pods.createSubresource(name, {
        namespace: NS,
        subresource: "eviction",
        body: {
          apiVersion: "policy/v1",
          kind: "Eviction",
          metadata: { name, namespace: NS },
        },
      });
    },
    async [Symbol.asyncDispose]() {
      await manager.stop();
      await kubelet.stop();
    },
  };
}

Deno.test("PodDisruptionBudget status follows a Deployment's pods as they become ready and not ready", async () => {
  await using api = await startControllerApi();
  await using c = await cluster(api);
  await api.client.resource(DEPLOYMENTS).create(
    testDeployment("web", { replicas: 3, image: "nginx:1" }),
  );
  await until(async () => (await c.readyPods()).length === 3, { what: "3 ready pods" });
  await c.pdbs.create(budget({ minAvailable: 2 }));
  const pdb = await c.waitFor(
    { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 },
    "1 disruption allowed",
  );
  assert.equal(pdb.status?.observedGeneration, 1);
  assert.equal(pdb.status?.conditions?.[0]?.message, "");
  const [first] = await c.readyPods();
  const key = `${NS}/${first!.metadata?.name}`;
  c.kubelet.setReady(key, false);
  await c.waitFor(
    { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 },
    "no disruption with a pod not ready",
  );
  c.kubelet.setReady(key, true);
  await c.waitFor(
    { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 },
    "1 disruption again",
  );
});

Deno.test("PodDisruptionBudget status in its integer and percentage forms", async (t) => {
  await using api = await startControllerApi();
  await using c = await cluster(api);
  await api.client.resource(DEPLOYMENTS).create(
    testDeployment("web", { replicas: 4, image: "nginx:1" }),
  );
  await until(async () => (await c.readyPods()).length === 4, { what: "4 ready pods" });
  await c.pdbs.create(budget({ minAvailable: 1 }));
  const cases: { spec: PodDisruptionBudgetSpec; want: Counts }[] = [
    // 4 pods; the percentages are of the Deployment's 4 replicas, rounded up.
    {
      spec: { minAvailable: 3 },
      want: { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 },
    },
    {
      spec: { minAvailable: "30%" },
      want: { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2 },
    },
    {
      spec: { maxUnavailable: 1 },
      want: { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 },
    },
    {
      spec: { maxUnavailable: "30%" },
      want: { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2 },
    },
    {
      spec: { maxUnavailable: "0%" },
      want: { expectedPods: 4, desiredHealthy: 4, currentHealthy: 4, disruptionsAllowed: 0 },
    },
  ];
  for (const { spec, want } of cases) {
    await t.step(JSON.stringify(spec), async () => {
      const updated = await c.setBudget(spec);
      const pdb = await c.waitFor(want, JSON.stringify(spec));
      assert.equal(pdb.status?.observedGeneration, updated.metadata?.generation);
    });
  }
});

Deno.test("Eviction through the API is refused with 429 while the budget allows no disruption", async () => {
  await using api = await startControllerApi();
  // Pods that exist now become ready; replacements stay not ready once `hold` is set.
  const readyNames = new Set<string>();
  let hold = false;
  await using c = await cluster(api, {
    ready: (pod) => !hold || readyNames.has(pod.metadata?.name ?? ""),
  });
  await api.client.resource(DEPLOYMENTS).create(
    testDeployment("web", { replicas: 3, image: "nginx:1" }),
  );
  await until(async () => (await c.readyPods()).length === 3, { what: "3 ready pods" });
  await c.pdbs.create(budget({ minAvailable: 3 }));
  await c.waitFor(
    { expectedPods: 3, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0 },
    "no disruption allowed",
  );
  const pods = await c.readyPods();
  for (const p of pods) readyNames.add(p.metadata?.name ?? "");
  hold = true;
  const [a, b] = pods.map((p) => p.metadata?.name ?? "");

  await assert.rejects(() => c.evict(a!), (err: unknown) => {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 429);
    assert.equal(err.reason, "TooManyRequests");
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(err.details?.causes, [{
      reason: "DisruptionBudget",
      message: "The disruption budget web needs 3 healthy pods and has 3 currently",
    }]);
    return true;
  });
  assert.equal((await c.readyPods()).length, 3, "the refused eviction deleted nothing");

  // One disruption allowed: the eviction goes through and takes it.
  await c.setBudget({ minAvailable: 2 });
  await c.waitFor(
    { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 },
    "1 disruption allowed",
  );
  const answer = await c.evict(a!) as { status?: string; code?: number };
  assert.equal(answer.status, "Success");
  await until(async () => {
    try {
      await c.pods.get(a!, { namespace: NS });
      return false;
    } catch {
      return true;
    }
  }, { what: `the evicted pod ${a} to be gone` });
  // Its replacement is not ready: 2 healthy, none to spare, and no pending eviction left.
  const after = await c.waitFor(
    { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 },
    "no disruption left after the eviction",
  );
  assert.equal(after.status?.disruptedPods, undefined);
  await assert.rejects(() => c.evict(b!), (err: unknown) => {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 429);
    assert.equal(
      err.details?.causes?.[0]?.message,
      "The disruption budget web needs 2 healthy pods and has 2 currently",
    );
    return true;
  });
  // The replacement becomes ready: a disruption is allowed again.
  hold = false;
  c.kubelet.resync();
  await c.waitFor(
    { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 },
    "1 disruption allowed again",
  );
  await c.evict(b!);
});
