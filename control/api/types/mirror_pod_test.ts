import assert from "node:assert/strict";
import { isMirrorPod, MIRROR_POD_ANNOTATION } from "./mirror_pod.ts";
import * as pods from "./core_v1_pod.ts";

Deno.test("isMirrorPod() looks for the mirror annotation, whatever its value", () => {
  assert.equal(MIRROR_POD_ANNOTATION, "kubernetes.io/config.mirror");
  assert.equal(isMirrorPod({ metadata: { annotations: { [MIRROR_POD_ANNOTATION]: "" } } }), true);
  assert.equal(isMirrorPod({ metadata: { annotations: { other: "x" } } }), false);
  assert.equal(isMirrorPod({ metadata: { annotations: null } }), false);
  assert.equal(isMirrorPod({}), false);
});

Deno.test("core_v1_pod.ts re-exports the mirror pod helpers", () => {
  assert.equal(pods.isMirrorPod, isMirrorPod);
  assert.equal(pods.MIRROR_POD_ANNOTATION, MIRROR_POD_ANNOTATION);
});
