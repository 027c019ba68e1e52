import assert from "node:assert/strict";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { decodeBody, type DecodeBodyOptions, dryRunOf, fieldValidationOf } from "./decode_body.ts";

const CONFIGMAPS = BUILTIN_RESOURCES.find((d) => d.resource === "configmaps")!;
const DEPLOYMENTS = BUILTIN_RESOURCES.find((d) => d.resource === "deployments")!;

function options(extra: Partial<DecodeBodyOptions> = {}): DecodeBodyOptions {
  return {
    contentType: "application/json",
    schema: CONFIGMAPS.schema,
    group: "",
    version: "v1",
    kind: "ConfigMap",
    fieldValidation: "Warn",
    ...extra,
  };
}

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function failure(f: () => unknown): ApiError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail("expected an ApiError");
}

Deno.test("fieldValidationOf() defaults to Warn, as kube-apiserver", () => {
  assert.equal(fieldValidationOf(new URLSearchParams()), "Warn");
  assert.equal(fieldValidationOf(new URLSearchParams("fieldValidation=")), "Warn");
  for (const v of ["Strict", "Warn", "Ignore"] as const) {
    assert.equal(fieldValidationOf(new URLSearchParams({ fieldValidation: v })), v);
  }
});

Deno.test("dryRunOf() is true only for dryRun=All", () => {
  assert.equal(dryRunOf(new URLSearchParams()), false);
  assert.equal(dryRunOf(new URLSearchParams("dryRun=")), false);
  assert.equal(dryRunOf(new URLSearchParams("dryRun=All")), true);
  assert.equal(dryRunOf(new URLSearchParams("dryRun=All&dryRun=All")), true);
  const err = failure(() => dryRunOf(new URLSearchParams("dryRun=All&dryRun=Some")));
  assert.equal(err.code, 422);
  assert.equal(
    err.message,
    'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "Some"}: supported values: "All"',
  );
});

Deno.test("decodeBody() defaults apiVersion and kind from the URL", () => {
  const { object, warnings } = decodeBody(
    bytes('{"metadata":{"name":"a"},"data":{"k":"v"}}'),
    options(),
  );
  assert.deepEqual(object, {
    metadata: { name: "a" },
    data: { k: "v" },
    apiVersion: "v1",
    kind: "ConfigMap",
  });
  assert.deepEqual(warnings, []);
});

Deno.test("decodeBody() reads JSON and YAML bodies by Content-Type", async (t) => {
  const cases: [string | null, string][] = [
    [null, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}'],
    ["application/json; charset=utf-8", '{"metadata":{"name":"a"}}'],
    ["application/yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"],
    ["application/x-yaml", "metadata: {name: a}\n"],
  ];
  for (const [contentType, body] of cases) {
    await t.step(String(contentType), () => {
      const { object } = decodeBody(bytes(body), options({ contentType }));
      assert.equal(object.metadata?.name, "a");
      assert.equal(object.kind, "ConfigMap");
    });
  }
});

Deno.test("decodeBody() refuses other content types with 415 listing what it reads", () => {
  const err = failure(() => decodeBody(bytes("x"), options({ contentType: "text/plain" })));
  assert.equal(err.code, 415);
  assert.equal(err.reason, "UnsupportedMediaType");
  assert.equal(
    err.message,
    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
  );
  assert.deepEqual(err.details, { causes: [{ reason: "", message: "text/plain" }] });
  // Protobuf is read only with a decoder.
  const pb = failure(() =>
    decodeBody(
      new Uint8Array([0x6b, 0x38, 0x73, 0]),
      options({ contentType: "application/vnd.kubernetes.protobuf" }),
    )
  );
  assert.equal(pb.code, 415);
});

Deno.test("decodeBody() hands protobuf bodies to the decoder and names its failure", () => {
  const ok = decodeBody(new Uint8Array([1]), {
    ...options({ contentType: "application/vnd.kubernetes.protobuf" }),
    protobuf: () => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "pb" } }),
  });
  assert.equal(ok.object.metadata?.name, "pb");
  const err = failure(() =>
    decodeBody(new Uint8Array([1]), {
      ...options({ contentType: "application/vnd.kubernetes.protobuf" }),
      protobuf: () => {
        throw new Error("bad envelope");
      },
    })
  );
  assert.equal(err.code, 400);
  assert.equal(
    err.message,
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: bad envelope',
  );
});

Deno.test("decodeBody() answers 400 for a body that is not an object", async (t) => {
  for (const body of ["{", "[1]", '"x"', "null"]) {
    await t.step(body, () => {
      const err = failure(() => decodeBody(bytes(body), options()));
      assert.equal(err.code, 400);
      assert.equal(err.reason, "BadRequest");
      assert.match(
        err.message,
        /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: /,
      );
    });
  }
});

Deno.test("decodeBody() refuses an apiVersion the URL does not serve", () => {
  const err = failure(() =>
    decodeBody(bytes('{"apiVersion":"apps/v1beta1","kind":"Deployment","metadata":{"name":"a"}}'), {
      ...options(),
      schema: DEPLOYMENTS.schema,
      group: "apps",
      kind: "Deployment",
    })
  );
  assert.equal(err.code, 400);
  assert.equal(
    err.message,
    "the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)",
  );
  assert.equal(failure(() => decodeBody(bytes('{"kind":"Secret"}'), options())).code, 400);
});

Deno.test("decodeBody() applies fieldValidation: Strict fails, Warn warns, Ignore drops", async (t) => {
  const body = bytes('{"metadata":{"name":"a"},"data":{"k":"1","k":"2"},"spec":{"foo":1}}');
  await t.step("Strict", () => {
    const err = failure(() => decodeBody(body, options({ fieldValidation: "Strict" })));
    assert.equal(err.code, 400);
    assert.equal(
      err.message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data.k", unknown field "spec"',
    );
  });
  await t.step("Warn", () => {
    const { object, warnings } = decodeBody(body, options({ fieldValidation: "Warn" }));
    assert.deepEqual(warnings, ['duplicate field "data.k"', 'unknown field "spec"']);
    assert.deepEqual(object.data, { k: "2" }, "the last duplicate wins");
    assert.equal(object.spec, undefined, "unknown fields are dropped");
  });
  await t.step("Ignore", () => {
    const { object, warnings } = decodeBody(body, options({ fieldValidation: "Ignore" }));
    assert.deepEqual(warnings, []);
    assert.equal(object.spec, undefined);
  });
});

Deno.test("decodeBody() reports a wrongly typed field as a 400 even under Ignore", () => {
  const err = failure(() =>
    decodeBody(
      bytes('{"metadata":{"name":"a"},"data":{"k":1}}'),
      options({ fieldValidation: "Ignore" }),
    )
  );
  assert.equal(err.code, 400);
  assert.match(err.message, /^ConfigMap in version "v1" cannot be handled as a ConfigMap: /);
});
