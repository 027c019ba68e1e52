import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { isMirrorPod, isMirrorPodOf, mirrorPodFor, staticPodHash } from "./mirror_pods.ts";
import { MIRROR_POD_ANNOTATION } from "../../control/api/types/core_v1_pod.ts";
import { staticPodFromManifest } from "./static_pod.ts";

function staticPod(image = "busybox"): Pod {
  return staticPodFromManifest(
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - name: main\n    image: ${image}\n`,
    { path: "/m/etcd.yaml", nodeName: "edge-1", seenMs: 0 },
  );
}

Deno.test("mirrorPodFor() copies the static pod with the mirror annotation and a controller reference to the Node", () => {
  const pod = staticPod();
  const mirror = mirrorPodFor(pod, { name: "edge-1", uid: "node-uid" });
  const { uid: _uid, ...meta } = pod.metadata!;
  assert.deepEqual(mirror, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...meta,
      annotations: { ...meta.annotations, [MIRROR_POD_ANNOTATION]: pod.metadata?.uid },
      ownerReferences: [{
        apiVersion: "v1",
        kind: "Node",
        name: "edge-1",
        uid: "node-uid",
        controller: true,
      }],
    },
    spec: pod.spec,
  });
  assert.equal(isMirrorPod(mirror), true);
  assert.equal(isMirrorPod(pod), false);
  assert.equal(mirror.status, undefined);
  mirror.spec!.containers[0]!.image = "changed";
  assert.equal(pod.spec?.containers[0]?.image, "busybox", "the static pod is not shared");
});

Deno.test("isMirrorPodOf() matches by name and by the hash the mirror pod carries", async (t) => {
  const pod = staticPod();
  const mirror = mirrorPodFor(pod, { name: "edge-1", uid: "n" });
  const cases: Array<[string, Pod, boolean]> = [
    ["the same static pod", pod, true],
    ["changed content (a new hash)", staticPod("busybox:1.36"), false],
    ["another name", { ...pod, metadata: { ...pod.metadata, name: "other-edge-1" } }, false],
  ];
  for (const [name, candidate, want] of cases) {
    await t.step(name, () => assert.equal(isMirrorPodOf(mirror, candidate), want));
  }
  assert.equal(staticPodHash(pod), pod.metadata?.uid);
  assert.equal(staticPodHash({ metadata: { uid: "u" } }), "u");
});
