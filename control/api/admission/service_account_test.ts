import assert from "node:assert/strict";
import { FakeClock } from "../../util/clock.ts";
import type { ServiceAccount } from "../types/core_v1_config.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import { attrs, def, rejection, testViews } from "./_test_fixtures.ts";
import {
  DEFAULT_API_TOKEN_MOUNT_PATH,
  enforcesMountableSecrets,
  mountServiceAccountToken,
  secretReferenceError,
  ServiceAccountAdmission,
  shouldAutomount,
  tokenVolumeSource,
} from "./service_account.ts";

const PODS = def("", "pods");
const SAS = def("", "serviceaccounts");

function sa(name: string, extra: Partial<ServiceAccount> = {}): ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    ...extra,
    metadata: { name, namespace: "default", ...extra.metadata },
  };
}

function pod(spec: Partial<Pod["spec"]> = {}, meta: Pod["metadata"] = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", ...meta },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  };
}

/** Returns 0, 1/27, 2/27…: the volume suffix is "bcdfg". */
function counting(): () => number {
  let i = 0;
  return () => (i++ % 27) / 27;
}

function plugin(views: Awaited<ReturnType<typeof testViews>>["views"], clock = new FakeClock()) {
  return new ServiceAccountAdmission({ views, clock, random: counting() });
}

Deno.test("tokenVolumeSource() is upstream's projected token volume", () => {
  assert.deepEqual(tokenVolumeSource(), {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      {
        downwardAPI: {
          items: [{
            path: "namespace",
            fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
          }],
        },
      },
    ],
  });
  assert.notEqual(tokenVolumeSource(), tokenVolumeSource());
});

Deno.test("shouldAutomount() prefers the pod, then the account, then yes", async (t) => {
  const cases: [boolean | undefined, boolean | undefined, boolean][] = [
    [undefined, undefined, true],
    [undefined, false, false],
    [undefined, true, true],
    [false, true, false],
    [true, false, true],
    [false, undefined, false],
  ];
  for (const [podValue, saValue, want] of cases) {
    await t.step(`pod ${podValue}, account ${saValue}`, () => {
      const p = pod(podValue === undefined ? {} : { automountServiceAccountToken: podValue });
      const a = sa(
        "default",
        saValue === undefined ? {} : { automountServiceAccountToken: saValue },
      );
      assert.equal(shouldAutomount(a, p), want);
    });
  }
});

Deno.test("enforcesMountableSecrets() parses the annotation as Go's ParseBool", async (t) => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ["true", true],
    ["1", true],
    ["T", true],
    ["yes", false],
    ["false", false],
  ];
  for (const [value, want] of cases) {
    await t.step(String(value), () => {
      const a = sa("default", {
        metadata: value === undefined
          ? {}
          : { annotations: { "kubernetes.io/enforce-mountable-secrets": value } },
      });
      assert.equal(enforcesMountableSecrets(a), want);
    });
  }
});

Deno.test("mountServiceAccountToken() mounts the volume where upstream does", async (t) => {
  const mount = {
    name: "kube-api-access-bcdfg",
    readOnly: true,
    mountPath: DEFAULT_API_TOKEN_MOUNT_PATH,
  };
  await t.step("every init container and container, volume added last", () => {
    const p = pod({
      initContainers: [{ name: "init", image: "busybox" }],
      volumes: [{ name: "data", emptyDir: {} }],
    });
    mountServiceAccountToken(p, counting());
    assert.deepEqual(p.spec?.initContainers?.[0]?.volumeMounts, [mount]);
    assert.deepEqual(p.spec?.containers[0]?.volumeMounts, [mount]);
    assert.deepEqual(p.spec?.volumes?.map((v) => v.name), ["data", "kube-api-access-bcdfg"]);
    assert.deepEqual(p.spec?.volumes?.[1]?.projected, tokenVolumeSource());
  });
  await t.step("a container with a mount at the path is left alone", () => {
    const own = { name: "mine", mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    const p = pod({
      containers: [
        { name: "a", image: "x", volumeMounts: [own] },
        { name: "b", image: "x" },
      ],
      volumes: [{ name: "mine", emptyDir: {} }],
    });
    mountServiceAccountToken(p, counting());
    assert.deepEqual(p.spec?.containers[0]?.volumeMounts, [own]);
    assert.deepEqual(p.spec?.containers[1]?.volumeMounts, [mount]);
    assert.equal(p.spec?.volumes?.length, 2);
  });
  await t.step("no volume when every container has its own mount", () => {
    const own = { name: "mine", mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
    const p = pod({
      containers: [{ name: "a", image: "x", volumeMounts: [own] }],
      volumes: [{ name: "mine", emptyDir: {} }],
    });
    mountServiceAccountToken(p, counting());
    assert.deepEqual(p.spec?.volumes?.map((v) => v.name), ["mine"]);
  });
  await t.step("an existing kube-api-access volume is reused", () => {
    const p = pod({ volumes: [{ name: "kube-api-access-zzzzz", emptyDir: {} }] });
    mountServiceAccountToken(p, counting());
    assert.deepEqual(p.spec?.containers[0]?.volumeMounts?.[0]?.name, "kube-api-access-zzzzz");
    assert.equal(p.spec?.volumes?.length, 1);
  });
});

Deno.test("secretReferenceError() names the first Secret the account does not list", async (t) => {
  const account = sa("builder", {
    secrets: [{ name: "ok" }],
    imagePullSecrets: [{ name: "pull" }],
  });
  const cases: { name: string; spec: Partial<Pod["spec"]>; want: string | null }[] = [
    {
      name: "all allowed",
      spec: { volumes: [{ name: "v", secret: { secretName: "ok" } }] },
      want: null,
    },
    {
      name: "secret volume",
      spec: { volumes: [{ name: "v", secret: { secretName: "other" } }] },
      want:
        'volume with secret.secretName="other" is not allowed because service account builder does not reference that secret',
    },
    {
      name: "init container env",
      spec: {
        initContainers: [{
          name: "init",
          image: "x",
          env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "other", key: "k" } } }],
        }],
      },
      want:
        'init container init with envVar TOKEN referencing secret.secretName="other" is not allowed because service account builder does not reference that secret',
    },
    {
      name: "container envFrom",
      spec: {
        containers: [{ name: "app", image: "x", envFrom: [{ secretRef: { name: "other" } }] }],
      },
      want:
        'container app with envFrom referencing secret.secretName="other" is not allowed because service account builder does not reference that secret',
    },
    {
      name: "image pull secret",
      spec: { imagePullSecrets: [{ name: "pull" }, { name: "nope" }] },
      want:
        'imagePullSecrets[1].name="nope" is not allowed because service account builder does not reference that imagePullSecret',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(secretReferenceError(account, pod(c.spec)), c.want));
  }
});

Deno.test("ServiceAccountAdmission.admit() gives a new pod the default account, token volume and pull secrets", async () => {
  await using t = await testViews({
    serviceaccounts: [sa("default", { imagePullSecrets: [{ name: "registry" }] })],
  });
  const p = pod({ initContainers: [{ name: "init", image: "busybox" }] });
  await plugin(t.views).admit(attrs("CREATE", { def: PODS, object: p }));
  assert.equal(p.spec?.serviceAccountName, "default");
  assert.equal(p.spec?.serviceAccount, "default");
  assert.deepEqual(p.spec?.imagePullSecrets, [{ name: "registry" }]);
  assert.deepEqual(p.spec?.volumes, [{
    name: "kube-api-access-bcdfg",
    projected: tokenVolumeSource(),
  }]);
  assert.equal(
    p.spec?.initContainers?.[0]?.volumeMounts?.[0]?.mountPath,
    DEFAULT_API_TOKEN_MOUNT_PATH,
  );
  // The copied list is the pod's own, not the view's frozen one.
  p.spec!.imagePullSecrets!.push({ name: "more" });
  const stored = t.views.get("/registry/serviceaccounts/").getByName("default", "default");
  assert.equal((stored as ServiceAccount).imagePullSecrets?.length, 1);
});

Deno.test("ServiceAccountAdmission.admit() honours the pod's and the account's choices", async (t) => {
  await using v = await testViews({
    serviceaccounts: [
      sa("default", { imagePullSecrets: [{ name: "registry" }] }),
      sa("quiet", { automountServiceAccountToken: false }),
    ],
  });
  const cases: { name: string; pod: Pod; volumes: number; pull: string[] | undefined }[] = [
    {
      name: "pod opts out",
      pod: pod({ automountServiceAccountToken: false }),
      volumes: 0,
      pull: ["registry"],
    },
    {
      name: "account opts out",
      pod: pod({ serviceAccountName: "quiet" }),
      volumes: 0,
      pull: undefined,
    },
    {
      name: "pod opts in over the account",
      pod: pod({ serviceAccountName: "quiet", automountServiceAccountToken: true }),
      volumes: 1,
      pull: undefined,
    },
    {
      name: "own pull secrets are kept",
      pod: pod({ imagePullSecrets: [{ name: "mine" }] }),
      volumes: 1,
      pull: ["mine"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await plugin(v.views).admit(attrs("CREATE", { def: PODS, object: c.pod }));
      assert.equal(c.pod.spec?.volumes?.length ?? 0, c.volumes);
      assert.deepEqual(c.pod.spec?.imagePullSecrets?.map((s) => s.name), c.pull);
    });
  }
});

Deno.test("ServiceAccountAdmission.admit() refuses a pod whose account does not exist", async () => {
  await using t = await testViews();
  const p = new ServiceAccountAdmission({
    views: t.views,
    clock: new FakeClock(),
    defaultAccountWaitMs: 0,
    accountWaitMs: 0,
  });
  const err = await rejection(
    p.admit(attrs("CREATE", { def: PODS, object: pod({ serviceAccountName: "robot" }) })),
  );
  assert.equal(err.code, 403);
  assert.equal(
    err.message,
    'pods "web" is forbidden: error looking up service account default/robot: serviceaccount "robot" not found',
  );
});

Deno.test("ServiceAccountAdmission.admit() waits for the default account the keeper creates", async (t) => {
  await t.step("the account appears during the wait", async () => {
    await using v = await testViews();
    const clock = new FakeClock();
    const p = pod();
    const admitted = plugin(v.views, clock).admit(attrs("CREATE", { def: PODS, object: p }));
    await v.views.started("/registry/serviceaccounts/");
    await v.put("serviceaccounts", sa("default"));
    await admitted;
    assert.equal(p.spec?.volumes?.length, 1);
    assert.equal(clock.pendingTimers, 0);
  });
  await t.step("the wait ends with a 403", async () => {
    await using v = await testViews();
    const clock = new FakeClock();
    const admitted = plugin(v.views, clock).admit(attrs("CREATE", { def: PODS, object: pod() }));
    const failed = rejection(admitted);
    while (clock.pendingTimers === 0) await new Promise((r) => setTimeout(r, 0));
    clock.advance(1999);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(1);
    assert.match((await failed).message, /serviceaccount "default" not found$/);
  });
});

Deno.test("ServiceAccountAdmission leaves other requests alone", async (t) => {
  await using v = await testViews();
  const p = new ServiceAccountAdmission({
    views: v.views,
    clock: new FakeClock(),
    defaultAccountWaitMs: 0,
  });
  const cases = [
    attrs("CREATE", { def: SAS, object: sa("x") }),
    attrs("UPDATE", { def: PODS, object: pod(), oldObject: pod() }),
    attrs("UPDATE", { def: PODS, object: pod(), oldObject: pod(), subresource: "status" }),
    attrs("DELETE", { def: PODS, oldObject: pod() }),
  ];
  for (const a of cases) {
    await t.step(`${a.operation} ${a.def.resource}/${a.subresource}`, async () => {
      const before = structuredClone(a.object);
      await p.admit(a);
      await p.validate(a);
      assert.deepEqual(a.object, before);
    });
  }
});

Deno.test("ServiceAccountAdmission keeps mirror pods as they are, within limits", async (t) => {
  await using v = await testViews({ serviceaccounts: [sa("default")] });
  const mirror = { annotations: { "kubernetes.io/config.mirror": "abc" } };
  const cases: { name: string; pod: Pod; error: string | null }[] = [
    { name: "plain mirror pod", pod: pod({}, mirror), error: null },
    {
      name: "names an account",
      pod: pod({ serviceAccountName: "default" }, mirror),
      error: "a mirror pod may not reference service accounts",
    },
    {
      name: "uses a secret",
      pod: pod({ volumes: [{ name: "s", secret: { secretName: "x" } }] }, mirror),
      error: "a mirror pod may not reference secrets",
    },
    {
      name: "projects a token",
      pod: pod({
        volumes: [{ name: "t", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } }],
      }, mirror),
      error: "a mirror pod may not use ServiceAccountToken volume projections",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const before = structuredClone(c.pod);
      const run = plugin(v.views).admit(attrs("CREATE", { def: PODS, object: c.pod }));
      if (c.error === null) {
        await run;
        assert.deepEqual(c.pod, before);
      } else {
        const err = await rejection(run);
        assert.equal(err.message, `pods "web" is forbidden: ${c.error}`);
      }
    });
  }
});

Deno.test("ServiceAccountAdmission.validate() enforces an account's mountable secrets", async () => {
  await using v = await testViews({
    serviceaccounts: [
      sa("default", {
        metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } },
        secrets: [{ name: "allowed" }],
      }),
    ],
  });
  const p = pod({ volumes: [{ name: "v", secret: { secretName: "other" } }] });
  const err = await rejection(plugin(v.views).admit(attrs("CREATE", { def: PODS, object: p })));
  assert.equal(
    err.message,
    'pods "web" is forbidden: volume with secret.secretName="other" is not allowed because service account default does not reference that secret',
  );
});

Deno.test("ServiceAccountAdmission.validate() refuses a pod without an account", async () => {
  await using v = await testViews();
  const err = await rejection(
    plugin(v.views).validate(attrs("CREATE", { def: PODS, object: pod() })),
  );
  assert.equal(
    err.message,
    'pods "web" is forbidden: no service account specified for pod default/web',
  );
});

Deno.test("ServiceAccountAdmission.validate() checks ephemeral containers' secrets as upstream (500)", async () => {
  await using v = await testViews({
    serviceaccounts: [
      sa("default", {
        metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } },
      }),
    ],
  });
  const p = pod({
    serviceAccountName: "default",
    ephemeralContainers: [{
      name: "debug",
      image: "busybox",
      envFrom: [{ secretRef: { name: "s" } }],
    }],
  });
  const err = await rejection(
    plugin(v.views).validate(
      attrs("UPDATE", {
        def: PODS,
        object: p,
        oldObject: pod(),
        subresource: "ephemeralcontainers",
      }),
    ),
  );
  assert.equal(err.code, 500);
  assert.equal(
    err.message,
    'Internal error occurred: ephemeral container debug with envFrom referencing secret.secretName="s" is not allowed because service account default does not reference that secret',
  );
});

Deno.test("ServiceAccountAdmission.admit() writes nothing, also on dry run", async () => {
  await using v = await testViews({ serviceaccounts: [sa("default")] });
  const before = await v.storage.currentRevision();
  const p = pod();
  await plugin(v.views).admit(attrs("CREATE", { def: PODS, object: p, dryRun: true }));
  assert.equal(p.spec?.volumes?.length, 1);
  assert.equal(await v.storage.currentRevision(), before);
});
