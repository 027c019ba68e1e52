import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { type StorageClass, StorageClass as StorageClassSchema } from "../types/storage_v1.ts";
import {
  storageClassStrategy,
  validateStorageClass,
  validateStorageClassUpdate,
} from "./storage_class.ts";

function sc(fields: Partial<StorageClass>): StorageClass {
  return {
    metadata: { name: "local" },
    provisioner: "rancher.io/local-path",
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
    ...fields,
  };
}

Deno.test("StorageClass defaults reclaimPolicy to Delete and volumeBindingMode to Immediate", () => {
  assert.equal(StorageClassSchema.fields.reclaimPolicy.default, "Delete");
  assert.equal(StorageClassSchema.fields.volumeBindingMode.default, "Immediate");
  assert.equal(StorageClassSchema.fields.provisioner.required, true);
});

Deno.test("validateStorageClass() reports upstream's messages", async (t) => {
  const cases: { name: string; sc: StorageClass; want: string[] }[] = [
    { name: "a valid class", sc: sc({ parameters: { type: "ssd" } }), want: [] },
    {
      name: "an empty provisioner",
      sc: sc({ provisioner: "" }),
      want: ["provisioner: Required value"],
    },
    {
      name: "a provisioner with two slashes, checked lowercased",
      sc: sc({ provisioner: "A/B/C" }),
      want: [
        `provisioner: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    },
    {
      name: "an empty parameter key",
      sc: sc({ parameters: { "": "x" } }),
      want: ['parameters: Invalid value: "": field can not be empty.'],
    },
    {
      name: "too many parameters",
      sc: sc({
        parameters: Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`k${i}`, "v"])),
      }),
      want: ["parameters: Too long: may not be more than 512 bytes"],
    },
    {
      name: "the Recycle policy",
      sc: sc({ reclaimPolicy: "Recycle" }),
      want: ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
    },
    {
      name: "duplicate topology terms",
      sc: sc({
        allowedTopologies: [
          { matchLabelExpressions: [{ key: "zone", values: ["a", "a"] }] },
          { matchLabelExpressions: [{ key: "zone", values: ["a"] }] },
        ],
      }),
      want: [
        'allowedTopologies[0].matchLabelExpressions[0].values[1]: Duplicate value: "a"',
        'allowedTopologies[1].matchLabelExpressions: Duplicate value: ""',
      ],
    },
    {
      name: "a requirement without values",
      sc: sc({ allowedTopologies: [{ matchLabelExpressions: [{ key: "zone", values: [] }] }] }),
      want: ["allowedTopologies[0].matchLabelExpressions[0].values: Required value"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateStorageClass(c.sc).map(String), c.want);
    });
  }
});

Deno.test("validateStorageClassUpdate() forbids changing provisioner, parameters and policies", () => {
  const old = sc({ parameters: { a: "1" } });
  assert.deepEqual(validateStorageClassUpdate(sc({ parameters: { a: "1" } }), old), []);
  assert.deepEqual(
    validateStorageClassUpdate(
      sc({
        provisioner: "x.io/y",
        parameters: { a: "2" },
        reclaimPolicy: "Retain",
        volumeBindingMode: "WaitForFirstConsumer",
      }),
      old,
    ).map(String),
    [
      "parameters: Forbidden: updates to parameters are forbidden.",
      "provisioner: Forbidden: updates to provisioner are forbidden.",
      "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
      'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ],
  );
  assert.equal(
    storageClassStrategy.validateUpdate!(sc({}) as KubeObject, sc({}) as KubeObject).length,
    0,
  );
});
