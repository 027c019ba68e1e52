import assert from "node:assert/strict";
import { conflictError, printManager } from "./conflict_error.ts";
import { managerIdentifier } from "./managed_fields.ts";
import { fieldElement as f, keyElement } from "./path_element.ts";

const csa = managerIdentifier({
  manager: "kubectl-client-side-apply",
  operation: "Update",
  apiVersion: "apps/v1",
});
const kcm = managerIdentifier({
  manager: "kube-controller-manager",
  operation: "Update",
  apiVersion: "apps/v1",
  subresource: "status",
});
const helm = managerIdentifier({ manager: "helm", operation: "Apply" });

Deno.test("printManager() names managers as conflict messages do", async (t) => {
  const cases: [string, string][] = [
    [csa, '"kubectl-client-side-apply" using apps/v1'],
    [kcm, '"kube-controller-manager" with subresource "status" using apps/v1'],
    [helm, '"helm"'],
    ["not json", '"not json"'],
  ];
  for (const [id, text] of cases) await t.step(text, () => assert.equal(printManager(id), text));
});

Deno.test("conflictError() is upstream's 409 with one cause per field", async (t) => {
  await t.step("one conflict", () => {
    const err = conflictError([{ manager: csa, path: [f("spec"), f("replicas")] }]);
    assert.deepEqual(err.toStatus(), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
      reason: "Conflict",
      details: {
        causes: [{
          reason: "FieldManagerConflict",
          message: 'conflict with "kubectl-client-side-apply" using apps/v1',
          field: ".spec.replicas",
        }],
      },
      code: 409,
    });
  });
  await t.step("several, grouped by manager", () => {
    const image = [
      f("spec"),
      f("template"),
      f("spec"),
      f("containers"),
      keyElement([["name", "nginx"]]),
      f("image"),
    ];
    const err = conflictError([
      { manager: helm, path: [f("spec"), f("replicas")] },
      { manager: csa, path: image },
      { manager: helm, path: [f("spec"), f("paused")] },
    ]);
    assert.equal(
      err.message,
      "Apply failed with 3 conflicts: " +
        'conflicts with "helm":\n- .spec.replicas\n- .spec.paused\n' +
        'conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        '- .spec.template.spec.containers[name="nginx"].image',
    );
    assert.equal(err.details?.causes?.length, 3);
  });
});
