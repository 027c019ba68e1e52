import assert from "node:assert/strict";
import type { KubeObject } from "../api/types/meta_v1.ts";
import {
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  REVISION_HISTORY_LIMIT_CHARS,
  revisionOf,
  setNewReplicaSetAnnotations,
  withDeploymentRevision,
} from "./_deployment_annotations.ts";

function obj(annotations?: Record<string, string>): KubeObject {
  return { metadata: { name: "x", ...(annotations ? { annotations } : {}) } };
}

Deno.test("setNewReplicaSetAnnotations() copies the Deployment's own annotations only", () => {
  const d = obj({
    "kubernetes.io/change-cause": "kubectl set image deployment/web web=nginx:2",
    "kubectl.kubernetes.io/last-applied-configuration": "{}",
    [REVISION_ANNOTATION]: "7",
    "deployment.kubernetes.io/desired-replicas": "3",
    "deprecated.deployment.rollback.to": "1",
  });
  const rs = obj();
  assert.equal(setNewReplicaSetAnnotations(rs, { deployment: d, revision: 2 }), true);
  assert.deepEqual(rs.metadata?.annotations, {
    "kubernetes.io/change-cause": "kubectl set image deployment/web web=nginx:2",
    [REVISION_ANNOTATION]: "2",
  });
  assert.equal(
    setNewReplicaSetAnnotations(rs, { deployment: d, revision: 2 }),
    false,
    "nothing left to change",
  );
});

Deno.test("setNewReplicaSetAnnotations() raises a re-used ReplicaSet's revision and records the old one", () => {
  const rs = obj({ [REVISION_ANNOTATION]: "1" });
  assert.equal(setNewReplicaSetAnnotations(rs, { deployment: obj(), revision: 3 }), true);
  assert.equal(rs.metadata?.annotations?.[REVISION_ANNOTATION], "3");
  assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], "1");
  setNewReplicaSetAnnotations(rs, { deployment: obj(), revision: 5 });
  assert.equal(rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], "1,3");
  // A revision never goes down.
  assert.equal(setNewReplicaSetAnnotations(rs, { deployment: obj(), revision: 4 }), false);
  assert.equal(revisionOf(rs), 5);
});

Deno.test("setNewReplicaSetAnnotations() cuts revision-history by dropping the oldest entries", () => {
  const long = Array.from({ length: 600 }, (_, i) => String(1000 + i)).join(",");
  const rs = obj({ [REVISION_ANNOTATION]: "9000", [REVISION_HISTORY_ANNOTATION]: long });
  setNewReplicaSetAnnotations(rs, { deployment: obj(), revision: 9001 });
  const history = rs.metadata!.annotations![REVISION_HISTORY_ANNOTATION]!;
  assert.ok(history.length <= REVISION_HISTORY_LIMIT_CHARS, `${history.length} characters`);
  assert.ok(history.endsWith(",1599,9000"), history.slice(-20));
  assert.ok(!history.startsWith("1000,"));
});

Deno.test("revisionOf() reads 0 for absent or malformed revisions", () => {
  assert.equal(revisionOf(obj()), 0);
  assert.equal(revisionOf(obj({ [REVISION_ANNOTATION]: "x" })), 0);
  assert.equal(revisionOf(obj({ [REVISION_ANNOTATION]: "-2" })), 0);
  assert.equal(revisionOf(obj({ [REVISION_ANNOTATION]: "12" })), 12);
});

Deno.test("withDeploymentRevision() sets the revision only when it differs", () => {
  assert.equal(withDeploymentRevision(obj({ [REVISION_ANNOTATION]: "2" }), 2), undefined);
  assert.equal(withDeploymentRevision(obj(), 0), undefined);
  assert.deepEqual(withDeploymentRevision(obj({ a: "b" }), 3), {
    name: "x",
    annotations: { a: "b", [REVISION_ANNOTATION]: "3" },
  });
});
