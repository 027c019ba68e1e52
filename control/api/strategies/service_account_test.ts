import assert from "node:assert/strict";
import type { ServiceAccount } from "../types/core_v1_config.ts";
import { serviceAccountStrategy } from "./service_account.ts";

Deno.test("serviceAccountStrategy keeps only the names of secret references", () => {
  const sa: ServiceAccount = {
    metadata: { name: "builder" },
    secrets: [{ name: "token", namespace: "x", uid: "u", kind: "Secret" }, {}],
  };
  serviceAccountStrategy.prepareForCreate!(sa);
  assert.deepEqual(sa.secrets, [{ name: "token" }, {}]);
  const updated: ServiceAccount = { secrets: [{ name: "t2", fieldPath: "x" }] };
  serviceAccountStrategy.prepareForUpdate!(updated, sa);
  assert.deepEqual(updated.secrets, [{ name: "t2" }]);
  assert.equal(serviceAccountStrategy.nameRule, undefined);
});
