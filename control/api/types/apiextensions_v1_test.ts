import assert from "node:assert/strict";
import {
  CustomResourceDefinition,
  CustomResourceDefinitionNames,
  CustomResourceDefinitionSpec,
  CustomResourceDefinitionVersion,
  JSONSchemaProps,
  ValidationRule,
} from "./apiextensions_v1.ts";
import type { Field } from "./schema.ts";

function protos(fields: Readonly<Record<string, Field>>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.proto]));
}

Deno.test("CustomResourceDefinition is apiextensions.k8s.io/v1 with upstream field numbers", () => {
  assert.equal(
    CustomResourceDefinition.name,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
  );
  assert.deepEqual(CustomResourceDefinition.gvk, [
    { group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition" },
  ]);
  assert.deepEqual(protos(CustomResourceDefinition.fields), {
    apiVersion: undefined,
    kind: undefined,
    metadata: 1,
    spec: 2,
    status: 3,
  });
  assert.deepEqual(protos(CustomResourceDefinitionSpec.fields), {
    group: 1,
    names: 3,
    scope: 4,
    versions: 7,
    conversion: 9,
    preserveUnknownFields: 10,
  });
  assert.deepEqual(protos(CustomResourceDefinitionNames.fields), {
    plural: 1,
    singular: 2,
    shortNames: 3,
    kind: 4,
    listKind: 5,
    categories: 6,
  });
  assert.equal(CustomResourceDefinitionVersion.fields.selectableFields.proto, 9);
  assert.equal(CustomResourceDefinitionVersion.fields.deprecationWarning.proto, 8);
});

Deno.test("JSONSchemaProps uses upstream's JSON names and field numbers", () => {
  const fields = JSONSchemaProps.fields as Readonly<Record<string, Field>>;
  assert.equal(fields.$ref?.proto, 3);
  assert.equal(fields.default?.proto, 8);
  assert.equal(fields["x-kubernetes-preserve-unknown-fields"]?.proto, 38);
  assert.equal(fields["x-kubernetes-validations"]?.proto, 44);
  assert.equal(fields["x-kubernetes-validations"]?.patchMergeKey, "rule");
  assert.equal(Object.keys(fields).length, 44);
  assert.deepEqual(protos(ValidationRule.fields), {
    rule: 1,
    message: 2,
    messageExpression: 3,
    reason: 4,
    fieldPath: 5,
    optionalOldSelf: 6,
  });
});
