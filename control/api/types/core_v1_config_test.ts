import assert from "node:assert/strict";
import { ConfigMap, MAX_SECRET_SIZE, Secret, ServiceAccount } from "./core_v1_config.ts";

Deno.test("ConfigMap, Secret and ServiceAccount carry upstream field numbers", async (t) => {
  const cases = [
    { schema: ConfigMap, protos: { immutable: 4, data: 2, binaryData: 3 } },
    { schema: Secret, protos: { immutable: 5, data: 2, stringData: 4, type: 3 } },
    {
      schema: ServiceAccount,
      protos: { secrets: 2, imagePullSecrets: 3, automountServiceAccountToken: 4 },
    },
  ];
  for (const c of cases) {
    await t.step(c.schema.name, () => {
      const fields = c.schema.fields as Record<string, { proto?: number }>;
      for (const [name, proto] of Object.entries(c.protos)) {
        assert.equal(fields[name]?.proto, proto);
      }
      assert.equal(c.schema.gvk?.[0]?.group, "");
    });
  }
});

Deno.test("Secret data is bytes, its type defaults to Opaque, and the size limit is 1 MiB", () => {
  assert.equal(Secret.fields.data.schema.values.type, "bytes");
  assert.equal(Secret.fields.type.default, "Opaque");
  assert.equal(ConfigMap.fields.binaryData.schema.values.type, "bytes");
  assert.equal(MAX_SECRET_SIZE, 1048576);
});

Deno.test("ServiceAccount.secrets merges by name", () => {
  const f = ServiceAccount.fields.secrets;
  assert.equal(f.patchStrategy, "merge");
  assert.equal(f.patchMergeKey, "name");
  assert.deepEqual(f.schema.listMapKeys, ["name"]);
  assert.equal(ServiceAccount.fields.imagePullSecrets.schema.listType, "atomic");
});
