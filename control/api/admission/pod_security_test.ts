import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import { ObjectViews } from "../store/object_views.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes } from "./admission.ts";
import {
  ENFORCE_LEVEL_LABEL,
  ENFORCE_VERSION_LABEL,
  formatLevelVersion,
  parsePodSecurityLabels,
  PodSecurity,
  WARN_LEVEL_LABEL,
  WARN_VERSION_LABEL,
} from "./pod_security.ts";

function def(group: string, resource: string) {
  return BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource)!;
}
const PODS = def("", "pods");
const NAMESPACES = def("", "namespaces");
const DEPLOYMENTS = def("apps", "deployments");
const CRONJOBS = def("batch", "cronjobs");

Deno.test("parsePodSecurityLabels() reads levels and versions over the defaults", async (t) => {
  const cases: [string, Record<string, string>, string[], string[]][] = [
    ["no labels", {}, ["privileged:latest", "privileged:latest", "privileged:latest"], []],
    [
      "enforce with a version",
      { [ENFORCE_LEVEL_LABEL]: "baseline", [ENFORCE_VERSION_LABEL]: "v1.25" },
      ["baseline:v1.25", "privileged:latest", "privileged:latest"],
      [],
    ],
    [
      "warn only",
      { [WARN_LEVEL_LABEL]: "restricted", [WARN_VERSION_LABEL]: "latest", other: "x" },
      ["privileged:latest", "privileged:latest", "restricted:latest"],
      [],
    ],
    [
      "a bad enforce level fails closed, a bad warn level open, a bad version is latest",
      {
        [ENFORCE_LEVEL_LABEL]: "strict",
        [WARN_LEVEL_LABEL]: "loud",
        [ENFORCE_VERSION_LABEL]: "1.25",
        "pod-security.kubernetes.io/audit-version": "v1.025",
      },
      ["restricted:latest", "privileged:latest", "privileged:latest"],
      [
        'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
        'metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.25": must be "latest" or "v1.x"',
        'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "v1.025": must be "latest" or "v1.x"',
        'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "loud": must be one of privileged, baseline, restricted',
      ],
    ],
  ];
  for (const [name, labels, want, errors] of cases) {
    await t.step(name, () => {
      const r = parsePodSecurityLabels(labels);
      assert.deepEqual(
        [r.policy.enforce, r.policy.audit, r.policy.warn].map(formatLevelVersion),
        want,
      );
      assert.deepEqual(r.errors.map(String), errors);
    });
  }
});

function pod(name: string, spec: Record<string, unknown> = {}, namespace = "ns"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
  };
}

const PRIVILEGED = {
  containers: [{ name: "c", image: "x", securityContext: { privileged: true } }],
};

function attrs(
  object: KubeObject,
  options: {
    def?: typeof PODS;
    operation?: "CREATE" | "UPDATE";
    subresource?: string;
    oldObject?: KubeObject;
    username?: string;
  } = {},
): AdmissionAttributes & { warnings: string[] } {
  const d = options.def ?? PODS;
  return {
    operation: options.operation ?? "CREATE",
    def: d,
    namespace: d.namespaced ? object.metadata?.namespace ?? "ns" : "",
    name: object.metadata?.name ?? "",
    subresource: options.subresource ?? "",
    object,
    oldObject: options.oldObject,
    dryRun: false,
    username: options.username ?? "alice",
    groups: [],
    warnings: [],
  };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail("expected the request to be refused");
}

/** A plugin over a storage holding namespace `ns` with `labels` (and `pods` in it). */
async function setup(
  labels: Record<string, string>,
  options: {
    pods?: KubeObject[];
    exemptions?: { usernames?: string[]; runtimeClasses?: string[] };
  } = {},
) {
  const storage = new MemoryStorage();
  await storage.create(
    "/registry/namespaces/ns",
    encodeForStorage({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns", labels } }),
  );
  for (const p of options.pods ?? []) {
    await storage.create(`/registry/pods/ns/${p.metadata!.name}`, encodeForStorage(p));
  }
  const stop = new AbortController();
  const logger = new RecordingLogger();
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const plugin = new PodSecurity({
    views,
    storage,
    logger,
    ...(options.exemptions ? { exemptions: options.exemptions } : {}),
  });
  return {
    plugin,
    [Symbol.asyncDispose]: async () => {
      stop.abort();
      await storage[Symbol.asyncDispose]();
    },
  };
}

Deno.test("PodSecurity enforce refuses a violating pod with upstream's 403", async () => {
  await using s = await setup({
    [ENFORCE_LEVEL_LABEL]: "baseline",
    [ENFORCE_VERSION_LABEL]: "v1.30",
  });
  const err = await refusal(s.plugin.validate(attrs(pod("p", { hostPID: true, ...PRIVILEGED }))));
  assert.equal(err.code, 403);
  assert.equal(err.reason, "Forbidden");
  assert.equal(
    err.message,
    'pods "p" is forbidden: violates PodSecurity "baseline:v1.30": host namespaces (hostPID=true), privileged (container "c" must not set securityContext.privileged=true)',
  );
  assert.deepEqual(err.details, { name: "p", group: "", kind: "pods" });
  const ok = attrs(pod("q"));
  await s.plugin.validate(ok);
  assert.deepEqual(ok.warnings, []);
});

Deno.test("PodSecurity warn admits with a warning, and only when enforce passes", async (t) => {
  await using s = await setup({
    [ENFORCE_LEVEL_LABEL]: "baseline",
    [WARN_LEVEL_LABEL]: "restricted",
  });
  await t.step("a baseline pod gets the restricted warning", async () => {
    const a = attrs(pod("p"));
    await s.plugin.validate(a);
    assert.deepEqual(a.warnings, [
      'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
  });
  await t.step("a refused pod gets no warning", async () => {
    const a = attrs(pod("p", PRIVILEGED));
    await refusal(s.plugin.validate(a));
    assert.deepEqual(a.warnings, []);
  });
});

Deno.test("PodSecurity warns about workloads but never refuses them", async (t) => {
  const template = { metadata: { labels: { app: "d" } }, spec: PRIVILEGED };
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", namespace: "ns" },
    spec: { selector: { matchLabels: { app: "d" } }, template },
  };
  const cronjob: KubeObject = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "cj", namespace: "ns" },
    spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } },
  };
  await t.step("enforce alone says nothing about a Deployment", async () => {
    await using s = await setup({ [ENFORCE_LEVEL_LABEL]: "restricted" });
    const a = attrs(deployment, { def: DEPLOYMENTS });
    await s.plugin.validate(a);
    assert.deepEqual(a.warnings, []);
  });
  await t.step("warn checks the pod template of a Deployment and a CronJob", async () => {
    await using s = await setup({
      [ENFORCE_LEVEL_LABEL]: "restricted",
      [WARN_LEVEL_LABEL]: "baseline",
    });
    for (const [obj, d] of [[deployment, DEPLOYMENTS], [cronjob, CRONJOBS]] as const) {
      const a = attrs(obj, { def: d });
      await s.plugin.validate(a);
      assert.deepEqual(a.warnings, [
        'would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
      ]);
    }
  });
  await t.step("workload subresources are not checked", async () => {
    await using s = await setup({ [WARN_LEVEL_LABEL]: "baseline" });
    const a = attrs(deployment, { def: DEPLOYMENTS, operation: "UPDATE", subresource: "status" });
    await s.plugin.validate(a);
    assert.deepEqual(a.warnings, []);
  });
});

Deno.test("PodSecurity checks pod updates only when they change what the policy reads", async (t) => {
  await using s = await setup({ [ENFORCE_LEVEL_LABEL]: "baseline" });
  const old = pod("p", PRIVILEGED);
  await t.step("a label change on an old privileged pod is allowed", async () => {
    const next = structuredClone(old);
    next.metadata!.labels = { a: "b" };
    await s.plugin.validate(attrs(next, { operation: "UPDATE", oldObject: old }));
  });
  await t.step("status and other ignored subresources are allowed", async () => {
    for (const sub of ["status", "binding", "eviction"]) {
      await s.plugin.validate(
        attrs(old, { operation: "UPDATE", subresource: sub, oldObject: old }),
      );
    }
  });
  await t.step("an image change is checked", async () => {
    const next = structuredClone(old);
    (next.spec as { containers: { image: string }[] }).containers[0]!.image = "other";
    const err = await refusal(
      s.plugin.validate(attrs(next, { operation: "UPDATE", oldObject: old })),
    );
    assert.match(err.message, /violates PodSecurity "baseline:latest": privileged/);
  });
  await t.step("an added ephemeral container is checked", async () => {
    const base = pod("p");
    const next = structuredClone(base);
    (next.spec as Record<string, unknown>).ephemeralContainers = [
      { name: "debug", image: "x", securityContext: { privileged: true } },
    ];
    const err = await refusal(
      s.plugin.validate(
        attrs(next, { operation: "UPDATE", subresource: "ephemeralcontainers", oldObject: base }),
      ),
    );
    assert.match(err.message, /container "debug" must not set securityContext\.privileged=true/);
  });
});

Deno.test("PodSecurity honours configured exemptions", async () => {
  await using s = await setup({ [ENFORCE_LEVEL_LABEL]: "restricted" }, {
    exemptions: {
      usernames: ["system:serviceaccount:kube-system:replicaset-controller"],
      runtimeClasses: ["kata"],
    },
  });
  await s.plugin.validate(
    attrs(pod("p", PRIVILEGED), {
      username: "system:serviceaccount:kube-system:replicaset-controller",
    }),
  );
  await s.plugin.validate(attrs(pod("p", { ...PRIVILEGED, runtimeClassName: "kata" })));
  await refusal(s.plugin.validate(attrs(pod("p", PRIVILEGED))));
});

Deno.test("PodSecurity validates namespace labels on create and on changed labels", async (t) => {
  await using s = await setup({});
  const ns = (labels: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team", labels },
  });
  await t.step("a bad level is refused on create with 422", async () => {
    const err = await refusal(
      s.plugin.validate(attrs(ns({ [ENFORCE_LEVEL_LABEL]: "strict" }), { def: NAMESPACES })),
    );
    assert.equal(err.code, 422);
    assert.equal(
      err.message,
      'Namespace "team" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    );
  });
  await t.step("an update keeping the same bad labels is allowed", async () => {
    const old = ns({ [ENFORCE_LEVEL_LABEL]: "strict" });
    const next = ns({ [ENFORCE_LEVEL_LABEL]: "strict", team: "a" });
    await s.plugin.validate(attrs(next, { def: NAMESPACES, operation: "UPDATE", oldObject: old }));
  });
  await t.step("an update making them bad is refused", async () => {
    const err = await refusal(s.plugin.validate(attrs(ns({ [WARN_VERSION_LABEL]: "v2.0" }), {
      def: NAMESPACES,
      operation: "UPDATE",
      oldObject: ns({}),
    })));
    assert.equal(err.code, 422);
  });
});

Deno.test("PodSecurity warns about existing pods when a namespace's enforce level tightens", async (t) => {
  const pods = [
    pod("b-priv", PRIVILEGED),
    pod("a-priv", PRIVILEGED),
    pod("c-host", { hostNetwork: true }),
    pod("fine"),
    pod("z-priv", PRIVILEGED),
  ];
  await using s = await setup({}, { pods });
  const ns = (labels: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "ns", labels },
  });
  const update = async (from: Record<string, string>, to: Record<string, string>) => {
    const a = attrs(ns(to), { def: NAMESPACES, operation: "UPDATE", oldObject: ns(from) });
    await s.plugin.validate(a);
    return a.warnings;
  };
  await t.step("privileged to baseline lists the violations with counts", async () => {
    assert.deepEqual(await update({}, { [ENFORCE_LEVEL_LABEL]: "baseline" }), [
      'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
      "a-priv (and 2 other pods): privileged",
      "c-host: host namespaces",
    ]);
  });
  await t.step("relaxing or keeping the level checks nothing", async () => {
    assert.deepEqual(
      await update({ [ENFORCE_LEVEL_LABEL]: "restricted" }, { [ENFORCE_LEVEL_LABEL]: "baseline" }),
      [],
    );
    assert.deepEqual(
      await update({ [ENFORCE_LEVEL_LABEL]: "baseline" }, {
        [ENFORCE_LEVEL_LABEL]: "baseline",
        x: "y",
      }),
      [],
    );
    assert.deepEqual(await update({ [ENFORCE_LEVEL_LABEL]: "baseline" }, {}), []);
  });
  await t.step("a version change checks again", async () => {
    const warnings = await update(
      { [ENFORCE_LEVEL_LABEL]: "baseline", [ENFORCE_VERSION_LABEL]: "v1.30" },
      { [ENFORCE_LEVEL_LABEL]: "baseline" },
    );
    assert.equal(warnings.length, 3);
  });
});

Deno.test("PodSecurity through the API: 403 on create, Warning headers on namespace updates", async () => {
  await using t: TestApp = await createTestApp({
    admission: (p) => [new PodSecurity({ views: p.views, storage: p.storage, logger: p.logger })],
  });
  let res = await t.json("POST", "/api/v1/namespaces", {
    body: { metadata: { name: "r", labels: { [ENFORCE_LEVEL_LABEL]: "restricted" } } },
  });
  assert.equal(res.status, 201);
  res = await t.json("POST", "/api/v1/namespaces/r/pods", { body: pod("p", {}, "r") });
  assert.equal(res.status, 403);
  assert.match(
    String(res.body.message),
    /^pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
  );
  res = await t.json("POST", "/api/v1/namespaces/default/pods", {
    body: pod("p", PRIVILEGED, "default"),
  });
  assert.equal(res.status, 201);
  res = await t.json("PATCH", "/api/v1/namespaces/default", {
    contentType: "application/merge-patch+json",
    body: { metadata: { labels: { [ENFORCE_LEVEL_LABEL]: "baseline" } } },
  });
  assert.equal(res.status, 200);
  assert.equal(
    res.headers.get("warning"),
    '299 - "existing pods in namespace \\"default\\" violate the new PodSecurity enforce level \\"baseline:latest\\"", 299 - "p: privileged"',
  );
  res = await t.json("POST", "/api/v1/namespaces", {
    body: { metadata: { name: "bad", labels: { [ENFORCE_VERSION_LABEL]: "next" } } },
  });
  assert.equal(res.status, 422);
  assert.equal(
    res.body.message,
    'Namespace "bad" is invalid: metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "next": must be "latest" or "v1.x"',
  );
});
