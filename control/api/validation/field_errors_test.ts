import assert from "node:assert/strict";
import {
  duplicate,
  FieldPath,
  forbidden,
  invalid,
  invalidEach,
  invalidMessage,
  notSupported,
  required,
  tooLong,
  tooMany,
} from "./field_errors.ts";

const spec = new FieldPath("spec");

Deno.test("FieldPath builds paths as Kubernetes prints them", () => {
  assert.equal(
    spec.child("containers").index(0).child("name").toString(),
    "spec.containers[0].name",
  );
  assert.equal(
    new FieldPath("metadata").child("labels").index("app").toString(),
    "metadata.labels[app]",
  );
  assert.equal(new FieldPath("").child("spec").toString(), "spec");
});

Deno.test("field errors print like apimachinery's field.Error", async (t) => {
  const cases = [
    [required(spec.child("containers")), "spec.containers: Required value", "FieldValueRequired"],
    [
      invalid(spec.child("replicas"), { value: -1, detail: "must be greater than or equal to 0" }),
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
      "FieldValueInvalid",
    ],
    [
      invalid("metadata.name", { value: "Web", detail: "bad" }),
      'metadata.name: Invalid value: "Web": bad',
      "FieldValueInvalid",
    ],
    [
      notSupported(spec.child("restartPolicy"), {
        value: "Sometimes",
        supported: ["Always", "OnFailure", "Never"],
      }),
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      "FieldValueNotSupported",
    ],
    [
      duplicate(spec.child("containers").index(1).child("name"), "web"),
      'spec.containers[1].name: Duplicate value: "web"',
      "FieldValueDuplicate",
    ],
    [
      forbidden(spec, "pod updates may not change fields other than `spec.containers[*].image`"),
      "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`",
      "FieldValueForbidden",
    ],
    [
      tooLong("metadata.annotations", 262144),
      "metadata.annotations: Too long: may not be more than 262144 bytes",
      "FieldValueTooLong",
    ],
    [
      tooMany("spec.items", { actual: 3, max: 2 }),
      "spec.items: Too many: 3: must have at most 2 items",
      "FieldValueTooMany",
    ],
    [
      invalid("spec.values", { value: ["a", "b"], detail: "x" }),
      'spec.values: Invalid value: []string{"a", "b"}: x',
      "FieldValueInvalid",
    ],
  ] as const;
  for (const [err, text, reason] of cases) {
    await t.step(text, () => {
      assert.equal(err.toString(), text);
      assert.equal(err.reason, reason);
    });
  }
});

Deno.test("invalidMessage() lists one error plainly and several in brackets", () => {
  const a = required("spec.selector");
  const b = required("spec.template.metadata.labels");
  assert.equal(
    invalidMessage("Deployment.apps", { name: "web", errors: [a] }),
    'Deployment.apps "web" is invalid: spec.selector: Required value',
  );
  assert.equal(
    invalidMessage("Pod", { name: "p", errors: [a, b] }),
    'Pod "p" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Required value]',
  );
});

Deno.test("invalidEach() reports one Invalid error per message", () => {
  assert.deepEqual(invalidEach("x", { value: "v", messages: [] }), []);
  assert.deepEqual(invalidEach(spec.child("x"), { value: "v", messages: ["a", "b"] }).map(String), [
    'spec.x: Invalid value: "v": a',
    'spec.x: Invalid value: "v": b',
  ]);
});

Deno.test("FieldPath prints a path once built, whatever is printed first", () => {
  const containers = new FieldPath("spec").child("containers");
  const name = containers.index(0).child("name");
  assert.equal(String(name), "spec.containers[0].name");
  assert.equal(String(containers.index(0)), "spec.containers[0]");
  assert.equal(String(new FieldPath("").index("k").child("v")), "[k].v");
  assert.equal(String(containers), "spec.containers");
});
