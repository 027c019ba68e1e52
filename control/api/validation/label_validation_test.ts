import assert from "node:assert/strict";
import { FieldPath } from "./field_errors.ts";
import {
  annotationsSizeBytes,
  validateAnnotations,
  validateLabelName,
  validateLabels,
} from "./label_validation.ts";

const LABEL_VALUE_REGEX =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

Deno.test("validateLabelName() reports qualified-name problems at the path", () => {
  assert.deepEqual(validateLabelName("app.kubernetes.io/name", "k"), []);
  assert.deepEqual(validateLabelName("/x", "k").map(String), [
    'k: Invalid value: "/x": prefix part must be non-empty',
  ]);
});

Deno.test("validateLabels() reports keys and values at the map's path, keys sorted", () => {
  const path = new FieldPath("metadata").child("labels");
  assert.deepEqual(validateLabels({ app: "web", "": "" }, path).length, 2);
  assert.deepEqual(validateLabels({ z: "-bad", a: "ok" }, path).map(String), [
    `metadata.labels: Invalid value: "-bad": ${LABEL_VALUE_REGEX}`,
  ]);
  assert.deepEqual(validateLabels(undefined, path), []);
  assert.deepEqual(
    validateLabels({ "b/": "x", "a/": "y" }, path).map((e) => e.value),
    ["a/", "a/", "b/", "b/"],
  );
});

Deno.test("validateAnnotations() checks keys in any case and the total size", () => {
  const path = new FieldPath("metadata").child("annotations");
  assert.deepEqual(validateAnnotations({ "Example.COM/Key": "v" }, path), []);
  assert.equal(validateAnnotations({ "a b": "v" }, path).length, 1);
  assert.equal(annotationsSizeBytes({ ab: "é" }), 4);
  assert.deepEqual(validateAnnotations({ a: "x".repeat(256 * 1024) }, path).map(String), [
    "metadata.annotations: Too long: may not be more than 262144 bytes",
  ]);
  assert.deepEqual(validateAnnotations({ a: "x".repeat(256 * 1024 - 1) }, path), []);
});
