import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { scaleOf, takeDisruption } from "./subresource_handlers.ts";

const DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";
const PODS = "/api/v1/namespaces/default/pods";
const PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
const MERGE = "application/merge-patch+json";
const DEPLOYMENT_DEF = BUILTIN_RESOURCES.find((d) => d.resource === "deployments")!;

interface Meta {
  name?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
}

function deployment(name: string, replicas = 1) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: name, tier: "web" } },
      template: {
        metadata: { labels: { app: name, tier: "web" } },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      },
    },
  };
}

async function create(t: TestApp, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await t.json("POST", path, { body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

async function storesNothing<T>(t: TestApp, f: () => Promise<T>): Promise<T> {
  const before = await t.storage.currentRevision();
  const out = await f();
  assert.equal(await t.storage.currentRevision(), before, "storage revision unchanged");
  return out;
}

/** A pod `name` with `labels`, created, bound to n1 and Running (so budgets protect it). */
async function runningPod(t: TestApp, name: string, labels: Record<string, string>): Promise<void> {
  await create(t, PODS, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  });
  const bound = await t.json("POST", `${PODS}/${name}/binding`, {
    body: {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name },
      target: { kind: "Node", name: "n1" },
    },
  });
  assert.equal(bound.status, 201);
  const status = await t.json("PATCH", `${PODS}/${name}/status`, {
    body: { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } },
    contentType: MERGE,
  });
  assert.equal(status.status, 200);
}

async function budget(
  t: TestApp,
  name: string,
  status: {
    disruptionsAllowed: number;
    observedGeneration?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
  },
): Promise<void> {
  await create(t, PDBS, {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name },
    spec: { minAvailable: 1, selector: { matchLabels: { app: "db" } } },
  });
  const res = await t.json("PATCH", `${PDBS}/${name}/status`, {
    body: {
      status: {
        observedGeneration: 1,
        currentHealthy: 2,
        desiredHealthy: 1,
        expectedPods: 2,
        ...status,
      },
    },
    contentType: MERGE,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

function evict(
  t: TestApp,
  name: string,
  options: { query?: string; deleteOptions?: unknown } = {},
) {
  const { query = "", deleteOptions } = options;
  return t.json("POST", `${PODS}/${name}/eviction${query}`, {
    body: {
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name, namespace: "default" },
      ...(deleteOptions ? { deleteOptions } : {}),
    },
  });
}

const CREATED = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };

// --- scale -------------------------------------------------------------------------------------

Deno.test("scaleOf() is the autoscaling/v1 Scale of an object", () => {
  const obj: KubeObject = {
    ...deployment("web", 3),
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u1",
      resourceVersion: "7",
      creationTimestamp: "2025-01-01T00:00:00Z",
    },
    status: { replicas: 2 },
  };
  assert.deepEqual(scaleOf(obj, DEPLOYMENT_DEF.scale!), {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u1",
      resourceVersion: "7",
      creationTimestamp: "2025-01-01T00:00:00Z",
    },
    spec: { replicas: 3 },
    // The selector as a string, keys sorted, as LabelSelectorAsSelector prints it.
    status: { replicas: 2, selector: "app=web,tier=web" },
  });
  // A CRD-style selector path reads a string; a missing status counts 0.
  const crd = scaleOf({ metadata: { name: "c" }, spec: { size: 1 }, status: { sel: "x=y" } }, {
    specReplicasPath: ".spec.size",
    statusReplicasPath: ".status.count",
    labelSelectorPath: ".status.sel",
  });
  assert.deepEqual(crd.spec, { replicas: 1 });
  assert.deepEqual(crd.status, { replicas: 0, selector: "x=y" });
  // A ReplicationController's selector is a label map.
  const rc = scaleOf({
    metadata: { name: "r" },
    spec: { replicas: 2, selector: { tier: "web", app: "web" } },
    status: { replicas: 2 },
  }, { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" });
  assert.deepEqual(rc.status, { replicas: 2, selector: "app=web,tier=web" });
});

Deno.test("GET /scale answers the Scale; 404 for a missing object", async () => {
  await using t = await createTestApp();
  await create(t, DEPLOYMENTS, deployment("web", 2));
  const res = await t.json("GET", `${DEPLOYMENTS}/web/scale`);
  assert.equal(res.status, 200);
  assert.equal(res.body.kind, "Scale");
  assert.equal(res.body.apiVersion, "autoscaling/v1");
  assert.deepEqual(res.body.spec, { replicas: 2 });
  assert.deepEqual(res.body.status, { replicas: 0, selector: "app=web,tier=web" });
  // Even a client asking for a Table gets the Scale.
  const table = await t.json("GET", `${DEPLOYMENTS}/web/scale`, {
    accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
  });
  assert.equal(table.body.kind, "Scale");
  const missing = await t.json("GET", `${DEPLOYMENTS}/nope/scale`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'deployments.apps "nope" not found');
  // Kinds without a scale subresource do not serve one.
  assert.equal((await t.json("GET", "/api/v1/namespaces/default/configmaps/x/scale")).status, 404);
});

Deno.test("PATCH /scale with a merge patch (kubectl scale) sets the replicas and bumps generation", async () => {
  await using t = await createTestApp();
  await create(t, DEPLOYMENTS, deployment("web"));
  const res = await t.json("PATCH", `${DEPLOYMENTS}/web/scale`, {
    body: { spec: { replicas: 3 } },
    contentType: MERGE,
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.kind, "Scale");
  assert.deepEqual(res.body.spec, { replicas: 3 });
  const dep = await t.json("GET", `${DEPLOYMENTS}/web`);
  assert.equal((dep.body.spec as { replicas: number }).replicas, 3);
  assert.equal((dep.body.metadata as Meta).generation, 2);
  assert.equal(
    (res.body.metadata as Meta).resourceVersion,
    (dep.body.metadata as Meta).resourceVersion,
  );
  // The same replicas again writes nothing.
  await storesNothing(
    t,
    () =>
      t.json("PATCH", `${DEPLOYMENTS}/web/scale`, {
        body: { spec: { replicas: 3 } },
        contentType: MERGE,
      }),
  );
  // A JSON patch works too.
  const json = await t.json("PATCH", `${DEPLOYMENTS}/web/scale`, {
    body: [{ op: "replace", path: "/spec/replicas", value: 5 }],
    contentType: "application/json-patch+json",
  });
  assert.deepEqual(json.body.spec, { replicas: 5 });
  // A dry run answers the new Scale and stores nothing.
  const dry = await storesNothing(
    t,
    () =>
      t.json("PATCH", `${DEPLOYMENTS}/web/scale?dryRun=All`, {
        body: { spec: { replicas: 9 } },
        contentType: MERGE,
      }),
  );
  assert.deepEqual(dry.body.spec, { replicas: 9 });
  assert.equal(
    ((await t.json("GET", `${DEPLOYMENTS}/web`)).body.spec as { replicas: number }).replicas,
    5,
  );
});

Deno.test("PUT /scale checks the resourceVersion (409) and refuses negative replicas (422)", async () => {
  await using t = await createTestApp();
  const created = await create(t, DEPLOYMENTS, deployment("web"));
  const rv = (created.metadata as Meta).resourceVersion!;
  const scale = (replicas: number, resourceVersion?: string) => ({
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: {
      name: "web",
      namespace: "default",
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: { replicas },
  });
  const ok = await t.json("PUT", `${DEPLOYMENTS}/web/scale`, { body: scale(2, rv) });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.spec, { replicas: 2 });
  const stale = await storesNothing(
    t,
    () => t.json("PUT", `${DEPLOYMENTS}/web/scale`, { body: scale(4, rv) }),
  );
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, "Conflict");
  assert.equal(
    stale.body.message,
    'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
  );
  const negative = await storesNothing(
    t,
    () => t.json("PUT", `${DEPLOYMENTS}/web/scale`, { body: scale(-1) }),
  );
  assert.equal(negative.status, 422);
  assert.deepEqual(negative.body, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message:
      'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    reason: "Invalid",
    details: {
      name: "web",
      group: "autoscaling",
      kind: "Scale",
      causes: [{
        reason: "FieldValueInvalid",
        message: "Invalid value: -1: must be greater than or equal to 0",
        field: "spec.replicas",
      }],
    },
    code: 422,
  });
  const post = await t.json("POST", `${DEPLOYMENTS}/web/scale`, { body: scale(1) });
  assert.equal(post.status, 405);
});

// --- binding -----------------------------------------------------------------------------------

Deno.test("POST /binding assigns the node once; binding again answers 409", async () => {
  await using t = await createTestApp();
  await create(t, PODS, {
    metadata: { name: "p" },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  });
  const binding = (node: string) => ({
    apiVersion: "v1",
    kind: "Binding",
    metadata: { name: "p" },
    target: { kind: "Node", name: node },
  });
  const dry = await storesNothing(
    t,
    () => t.json("POST", `${PODS}/p/binding?dryRun=All`, { body: binding("n1") }),
  );
  assert.equal(dry.status, 201);
  const res = await t.json("POST", `${PODS}/p/binding`, { body: binding("n1") });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, CREATED);
  const pod = await t.json("GET", `${PODS}/p`);
  assert.equal((pod.body.spec as { nodeName: string }).nodeName, "n1");
  const conditions = (pod.body.status as { conditions: Record<string, unknown>[] }).conditions;
  assert.deepEqual(conditions.map((c) => [c.type, c.status]), [["PodScheduled", "True"]]);
  const again = await storesNothing(
    t,
    () => t.json("POST", `${PODS}/p/binding`, { body: binding("n2") }),
  );
  assert.equal(again.status, 409);
  assert.deepEqual(again.body, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message:
      'Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "n1"',
    reason: "Conflict",
    details: { name: "p", kind: "pods/binding" },
    code: 409,
  });
  const missing = await t.json("POST", `${PODS}/nope/binding`, {
    body: { ...binding("n1"), metadata: { name: "nope" } },
  });
  assert.equal(missing.status, 404);
});

// --- eviction ----------------------------------------------------------------------------------

Deno.test("POST /eviction deletes a pod no budget protects (201)", async () => {
  await using t = await createTestApp();
  await runningPod(t, "free", { app: "web" });
  const res = await evict(t, "free", { deleteOptions: { gracePeriodSeconds: 0 } });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, CREATED);
  assert.equal((await t.json("GET", `${PODS}/free`)).status, 404);
  assert.equal((await evict(t, "free")).status, 404);
});

Deno.test("POST /eviction answers 429 when a PodDisruptionBudget forbids it", async () => {
  await using t = await createTestApp();
  await runningPod(t, "db-0", { app: "db" });
  await budget(t, "db", { disruptionsAllowed: 0 });
  const res = await storesNothing(t, () => evict(t, "db-0"));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), null);
  assert.deepEqual(res.body, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: "TooManyRequests",
    details: {
      causes: [{
        reason: "DisruptionBudget",
        message: "The disruption budget db needs 1 healthy pods and has 2 currently",
      }],
    },
    code: 429,
  });
  assert.equal((await t.json("GET", `${PODS}/db-0`)).status, 200);
});

Deno.test("POST /eviction answers 429 with a retry while the budget's controller catches up", async () => {
  await using t = await createTestApp();
  await runningPod(t, "db-0", { app: "db" });
  await budget(t, "db", { disruptionsAllowed: 1, observedGeneration: 0 });
  const res = await evict(t, "db-0");
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "10");
  assert.deepEqual(res.body.details, {
    retryAfterSeconds: 10,
    causes: [{
      reason: "DisruptionBudget",
      message: "The disruption budget db is still being processed by the server.",
    }],
  });
});

Deno.test("POST /eviction takes one disruption from the budget, so a second one is refused", async () => {
  await using t = await createTestApp();
  await runningPod(t, "db-0", { app: "db" });
  await runningPod(t, "db-1", { app: "db" });
  await budget(t, "db", { disruptionsAllowed: 1 });
  const first = await evict(t, "db-0", { deleteOptions: { gracePeriodSeconds: 0 } });
  assert.equal(first.status, 201);
  const pdb = await t.json("GET", `${PDBS}/db`);
  const status = pdb.body.status as {
    disruptionsAllowed: number;
    disruptedPods: Record<string, string>;
    conditions: Record<string, unknown>[];
  };
  assert.equal(status.disruptionsAllowed, 0);
  assert.deepEqual(Object.keys(status.disruptedPods), ["db-0"]);
  assert.match(status.disruptedPods["db-0"]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(
    status.conditions.map((c) => [c.type, c.status, c.reason]),
    [["DisruptionAllowed", "False", "InsufficientPods"]],
  );
  const second = await evict(t, "db-1");
  assert.equal(second.status, 429);
  assert.equal((await t.json("GET", `${PODS}/db-1`)).status, 200);
});

Deno.test("POST /eviction with dryRun=All checks the budget and changes nothing", async (t) => {
  await using app = await createTestApp();
  await runningPod(app, "db-0", { app: "db" });
  await budget(app, "db", { disruptionsAllowed: 1 });
  for (
    const [name, query, options] of [
      ["query", "?dryRun=All", undefined],
      ["deleteOptions", "", { dryRun: ["All"] }],
    ] as const
  ) {
    await t.step(name, async () => {
      const res = await storesNothing(
        app,
        () => evict(app, "db-0", { query, deleteOptions: options }),
      );
      assert.equal(res.status, 201);
      assert.equal((await app.json("GET", `${PODS}/db-0`)).status, 200);
    });
  }
});

Deno.test("POST /eviction ignores budgets for pending, finished or deleting pods", async () => {
  await using t = await createTestApp();
  await create(t, PODS, {
    metadata: { name: "db-pending", labels: { app: "db" } },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  });
  await budget(t, "db", { disruptionsAllowed: 0 });
  const res = await evict(t, "db-pending");
  assert.equal(res.status, 201);
  assert.equal((await t.json("GET", `${PODS}/db-pending`)).status, 404);
  // Finished.
  await runningPod(t, "db-done", { app: "db" });
  await t.json("PATCH", `${PODS}/db-done/status`, {
    body: { status: { phase: "Succeeded" } },
    contentType: MERGE,
  });
  assert.equal((await evict(t, "db-done")).status, 201);
  // Already being deleted (graceful): the eviction shortens nothing but is not refused.
  await runningPod(t, "db-going", { app: "db" });
  assert.equal((await t.json("DELETE", `${PODS}/db-going`)).status, 200);
  assert.equal((await evict(t, "db-going")).status, 201);
  // Running and ready: protected.
  await runningPod(t, "db-up", { app: "db" });
  assert.equal((await evict(t, "db-up")).status, 429);
});

Deno.test("POST /eviction refuses a pod with two budgets", async () => {
  await using t = await createTestApp();
  await runningPod(t, "db-0", { app: "db" });
  await budget(t, "one", { disruptionsAllowed: 1 });
  await budget(t, "two", { disruptionsAllowed: 1 });
  const res = await evict(t, "db-0");
  assert.equal(res.status, 500);
  assert.equal(
    res.body.message,
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
  );
});

Deno.test("takeDisruption() refuses negative allowances and too many unconfirmed evictions", () => {
  const pdb = (status: Record<string, unknown>): KubeObject => ({
    metadata: { name: "b", generation: 1 },
    status: { observedGeneration: 1, ...status },
  });
  const refuse = (status: Record<string, unknown>) => {
    try {
      takeDisruption(pdb(status), { pod: "p", nowMs: 0 });
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err;
    }
    assert.fail("expected a refusal");
  };
  const negative = refuse({ disruptionsAllowed: -1 });
  assert.equal(negative.code, 403);
  assert.equal(
    negative.message,
    'poddisruptionbudget.policy "b" is forbidden: pdb disruptions allowed is negative',
  );
  const many = Object.fromEntries(
    Array.from({ length: 2001 }, (_, i) => [`p${i}`, "2025-01-01T00:00:00Z"]),
  );
  assert.equal(refuse({ disruptionsAllowed: 5, disruptedPods: many }).code, 403);
  const next = takeDisruption(pdb({ disruptionsAllowed: 2 }), {
    pod: "p",
    nowMs: Date.parse("2025-01-01T00:00:00.600Z"),
  });
  assert.deepEqual(next.status, {
    observedGeneration: 1,
    disruptionsAllowed: 1,
    disruptedPods: { p: "2025-01-01T00:00:00Z" },
  });
});

// --- namespaces/finalize -----------------------------------------------------------------------

Deno.test("PUT /finalize removes the namespace's finalizers, which deletes a terminating namespace", async () => {
  await using t = await createTestApp();
  await create(t, "/api/v1/namespaces", { metadata: { name: "t" } });
  const body = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "t" },
    spec: { finalizers: [] },
  };
  // Not being deleted: the finalizers go, the namespace stays.
  const live = await t.json("PUT", "/api/v1/namespaces/t/finalize", { body });
  assert.equal(live.status, 200);
  assert.equal((live.body.spec as { finalizers?: string[] }).finalizers, undefined);
  assert.equal((await t.json("GET", "/api/v1/namespaces/t")).status, 200);

  await create(t, "/api/v1/namespaces", { metadata: { name: "u" } });
  const deleting = await t.json("DELETE", "/api/v1/namespaces/u");
  assert.equal(deleting.status, 200);
  assert.deepEqual(deleting.body.spec, { finalizers: ["kubernetes"] });
  assert.ok((deleting.body.metadata as Meta).deletionTimestamp);
  // A dry run changes nothing.
  const dry = await storesNothing(
    t,
    () =>
      t.json("PUT", "/api/v1/namespaces/u/finalize?dryRun=All", {
        body: { ...body, metadata: { name: "u" } },
      }),
  );
  assert.equal(dry.status, 200);
  assert.equal((await t.json("GET", "/api/v1/namespaces/u")).status, 200);
  const done = await t.json("PUT", "/api/v1/namespaces/u/finalize", {
    body: { ...body, metadata: { name: "u" } },
  });
  assert.equal(done.status, 200);
  assert.equal((await t.json("GET", "/api/v1/namespaces/u")).status, 404);
  // Only PUT.
  assert.equal((await t.json("GET", "/api/v1/namespaces/t/finalize")).status, 405);
});

Deno.test("pods/binding and pods/eviction are admitted as creates of their subresource", async () => {
  const seen: string[] = [];
  await using t = await createTestApp({
    admission: () => [{
      name: "Recorder",
      validate: (a) => {
        if (a.def.resource === "pods") {
          seen.push(`${a.operation} ${a.subresource || "-"} ${a.object?.kind ?? "-"} ${a.name}`);
        }
        if (a.subresource === "eviction" && a.name === "refused") {
          return Promise.reject(ApiError.forbidden({ group: "", resource: "pods" }, {
            name: a.name,
            detail: "not this one",
          }));
        }
        return Promise.resolve();
      },
    }],
  });
  for (const name of ["p", "refused"]) {
    const created = await t.json("POST", PODS, {
      body: { metadata: { name }, spec: { containers: [{ name: "c", image: "busybox" }] } },
    });
    assert.equal(created.status, 201);
  }
  const bound = await t.json("POST", `${PODS}/p/binding`, {
    body: { apiVersion: "v1", kind: "Binding", metadata: { name: "p" }, target: { name: "n1" } },
  });
  assert.equal(bound.status, 201);
  const evicted = await t.json("POST", `${PODS}/p/eviction`, {
    body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "p" } },
  });
  assert.equal(evicted.status, 201);
  const refused = await t.json("POST", `${PODS}/refused/eviction`, {
    body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "refused" } },
  });
  assert.equal(refused.status, 403);
  assert.equal(
    (await t.json("GET", `${PODS}/refused`)).status,
    200,
    "a refused eviction deletes nothing",
  );
  assert.deepEqual(seen, [
    "CREATE - Pod p",
    "CREATE - Pod refused",
    "CREATE binding Binding p",
    "CREATE eviction Eviction p",
    // The pod's own delete (it has a node: graceful, so it stays, terminating).
    "DELETE - - p",
    "CREATE eviction Eviction refused",
  ]);
});

Deno.test("POST /eviction deletes an unready pod without taking a disruption when the budget is met", async () => {
  await using t = await createTestApp();
  await runningPod(t, "db-0", { app: "db" });
  await runningPod(t, "db-sick", { app: "db" });
  await t.json("PATCH", `${PODS}/db-sick/status`, {
    body: { status: { conditions: [{ type: "Ready", status: "False" }] } },
    contentType: MERGE,
  });
  // Nothing to spare, but the application has its healthy pods: the unready one may go.
  await budget(t, "db", { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
  assert.equal((await evict(t, "db-sick")).status, 201);
  const pdb = (await t.json("GET", `${PDBS}/db`)).body.status as Record<string, unknown>;
  assert.equal(pdb.disruptionsAllowed, 0);
  assert.equal(pdb.disruptedPods, undefined);
  // A ready pod is still protected, and an unready one is once the budget is short.
  assert.equal((await evict(t, "db-0")).status, 429);
});

Deno.test("POST /eviction marks the pod DisruptionTarget before its graceful delete", async () => {
  await using t = await createTestApp();
  await runningPod(t, "web-0", { app: "web" });
  assert.equal((await evict(t, "web-0")).status, 201);
  const pod = (await t.json("GET", `${PODS}/web-0`)).body as {
    metadata: { deletionTimestamp?: string };
    status: { conditions: Record<string, unknown>[] };
  };
  assert.ok(pod.metadata.deletionTimestamp, "deleted gracefully");
  const target = pod.status.conditions.find((c) => c.type === "DisruptionTarget");
  assert.deepEqual(
    [target?.status, target?.reason, target?.message],
    ["True", "EvictionByEvictionAPI", "Eviction API: evicting"],
  );
});

Deno.test("POST /eviction honours a resourceVersion precondition (409 when stale)", async () => {
  await using t = await createTestApp();
  await runningPod(t, "web-0", { app: "web" });
  const res = await evict(t, "web-0", {
    deleteOptions: { preconditions: { resourceVersion: "1" } },
  });
  assert.equal(res.status, 409);
  assert.match(String(res.body.message), /Precondition failed: ResourceVersion in precondition: 1/);
  assert.equal((await t.json("GET", `${PODS}/web-0`)).status, 200);
});
