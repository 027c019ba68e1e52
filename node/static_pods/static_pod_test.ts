import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import {
  CONFIG_HASH_ANNOTATION,
  CONFIG_SEEN_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  isStaticPod,
  ManifestError,
  staticPodFromManifest,
} from "./static_pod.ts";

const PATH = "/var/lib/skiff/agent/pod-manifests/web.yaml";
const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: docker.io/skiff/busybox:1.36
    command: ["httpd", "-f"]
`;
const SEEN_MS = Date.UTC(2026, 11, 1, 16, 0, 0, 123);

function make(text = WEB, extra: Partial<Parameters<typeof staticPodFromManifest>[1]> = {}): Pod {
  return staticPodFromManifest(text, { path: PATH, nodeName: "edge-1", seenMs: SEEN_MS, ...extra });
}

Deno.test("staticPodFromManifest() makes the pod as the kubelet's file source does", () => {
  const pod = make();
  const uid = pod.metadata?.uid ?? "";
  assert.match(uid, /^[0-9a-f]{32}$/);
  assert.deepEqual(pod.metadata, {
    name: "web-edge-1",
    namespace: "default",
    uid,
    labels: { app: "web" },
    annotations: {
      [CONFIG_HASH_ANNOTATION]: uid,
      [CONFIG_SEEN_ANNOTATION]: "2026-12-01T16:00:00.123Z",
      [CONFIG_SOURCE_ANNOTATION]: "file",
    },
  });
  assert.equal(pod.spec?.nodeName, "edge-1");
  assert.deepEqual(pod.spec?.tolerations, [{ operator: "Exists", effect: "NoExecute" }]);
  assert.deepEqual(pod.status, { phase: "Pending" });
  assert.equal(isStaticPod(pod), true);
  assert.equal(
    isStaticPod({ metadata: { annotations: { [CONFIG_SOURCE_ANNOTATION]: "api" } } }),
    false,
  );
});

Deno.test("staticPodFromManifest() gives a stable UID that depends on content, node and path only", async (t) => {
  const uid = make().metadata?.uid;
  await t.step("a known manifest has a known UID (skiff's; upgrades must not change it)", () => {
    assert.equal(uid, make().metadata?.uid);
    assert.equal(uid, "dde31429bdc7ddfc46118a84fddb6976");
  });
  await t.step("the time seen and the text's formatting do not change it", () => {
    const reformatted = JSON.stringify({
      kind: "Pod",
      apiVersion: "v1",
      spec: {
        containers: [{
          image: "docker.io/skiff/busybox:1.36",
          name: "app",
          command: ["httpd", "-f"],
        }],
      },
      metadata: { labels: { app: "web" }, name: "web" },
    });
    assert.equal(make(reformatted, { seenMs: 0 }).metadata?.uid, uid);
  });
  const others: Array<[string, Pod]> = [
    ["another path", make(WEB, { path: `${PATH}.other.yaml` })],
    ["another node", make(WEB, { nodeName: "edge-2" })],
    ["other content", make(WEB.replace("httpd", "sh"))],
  ];
  for (const [name, pod] of others) {
    await t.step(`${name} changes it`, () => assert.notEqual(pod.metadata?.uid, uid));
  }
  await t.step("an explicit metadata.uid is kept", () => {
    const pod = make(WEB.replace("  name: web\n", "  name: web\n  uid: fixed-uid\n"));
    assert.equal(pod.metadata?.uid, "fixed-uid");
    assert.equal(pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], "fixed-uid");
  });
});

Deno.test("staticPodFromManifest() keeps the namespace, lower-cases the node in the name and adds the toleration once", () => {
  const text = WEB.replace("  name: web\n", "  name: web\n  namespace: kube-system\n") +
    `  tolerations:
  - operator: Exists
    effect: NoExecute
    tolerationSeconds: 30
  - key: dedicated
    operator: Equal
    value: edge
    effect: NoSchedule
`;
  const pod = make(text, { nodeName: "Edge-1" });
  assert.equal(pod.metadata?.namespace, "kube-system");
  assert.equal(pod.metadata?.name, "web-edge-1");
  assert.equal(pod.spec?.nodeName, "Edge-1");
  assert.deepEqual(pod.spec?.tolerations, [
    { operator: "Exists", effect: "NoExecute" },
    { key: "dedicated", operator: "Equal", value: "edge", effect: "NoSchedule" },
  ]);
});

Deno.test("staticPodFromManifest() reads JSON, YAML 1.1 scalars, and the first of several documents", () => {
  const json = make(JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "j" },
    spec: { containers: [{ name: "a", image: "busybox" }] },
  }));
  assert.equal(json.metadata?.name, "j-edge-1");
  const yaml = make(
    `${WEB}  hostNetwork: yes\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: second\n`,
  );
  assert.equal(yaml.metadata?.name, "web-edge-1");
  assert.equal(yaml.spec?.hostNetwork, true);
});

Deno.test("staticPodFromManifest() applies the injected defaults before hashing and the injected validation after", () => {
  const defaulted = make(WEB, {
    defaultPod: (pod) => {
      pod.spec!.restartPolicy ??= "Always";
    },
  });
  assert.equal(defaulted.spec?.restartPolicy, "Always");
  assert.notEqual(defaulted.metadata?.uid, make().metadata?.uid);
  const seen: string[] = [];
  assert.throws(
    () =>
      make(WEB, {
        validatePod: (pod) => {
          seen.push(pod.metadata?.name ?? "");
          return ['spec.containers[0].image: Invalid value: "x"'];
        },
      }),
    (err) =>
      err instanceof ManifestError && err.path === PATH &&
      err.message === `${PATH}: invalid pod: [spec.containers[0].image: Invalid value: "x"]`,
  );
  assert.deepEqual(seen, ["web-edge-1"]);
});

Deno.test("staticPodFromManifest() refuses manifests that make no pod, naming the file and the cause", async (t) => {
  const cases: Array<{ name: string; text: string; message: string }> = [
    { name: "not YAML", text: "kind: [Pod", message: "couldn't parse as pod(" },
    { name: "a list", text: "- a\n- b\n", message: "couldn't parse as pod(not a Pod object)" },
    { name: "empty", text: "", message: "couldn't parse as pod(not a Pod object)" },
    {
      name: "no kind",
      text: "apiVersion: v1\nmetadata:\n  name: x\n",
      message: "couldn't parse as pod(Object 'Kind' is missing)",
    },
    {
      name: "another kind",
      text: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
      message: 'found apiVersion "apps/v1" and kind "Deployment"',
    },
    {
      name: "no name",
      text: "apiVersion: v1\nkind: Pod\nspec:\n  containers: []\n",
      message: "invalid pod: name is needed for the pod",
    },
    {
      name: "no containers",
      text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n",
      message: "invalid pod: [spec.containers: Required value]",
    },
    {
      name: "a container without image",
      text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: a\n",
      message: "spec.containers[0].image: Required value",
    },
    {
      name: "a bad name",
      text: WEB.replace("name: web", "name: Web_1"),
      message: 'metadata.name: Invalid value: "Web_1-edge-1"',
    },
    {
      name: "a ClusterTrustBundle projection",
      text:
        `${WEB}  volumes:\n  - name: b\n    projected:\n      sources:\n      - clusterTrustBundle:\n          path: ca.pem\n          name: x\n`,
      message: "static pods may not use ClusterTrustBundle projected volume sources",
    },
    {
      name: "resource claims",
      text: `${WEB}  resourceClaims:\n  - name: gpu\n    resourceClaimName: gpu\n`,
      message: "static pods may not use ResourceClaims",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(
        () => make(c.text),
        (err) =>
          err instanceof ManifestError && err.message.startsWith(`${PATH}: `) &&
          err.message.includes(c.message),
      );
    });
  }
});
