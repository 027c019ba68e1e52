import assert from "node:assert/strict";
import {
  CompactedError,
  ConflictError,
  FutureRevisionError,
  InvalidInputError,
  KeyExistsError,
  KeyNotFoundError,
  StorageUnavailableError,
} from "../storage/errors.ts";
import { ApiError, mapStorageError, qualifiedKind, qualifiedResource } from "./errors.ts";
import { invalid, required } from "./validation/field_errors.ts";

const deployments = { group: "apps", resource: "deployments" };

Deno.test("ApiError constructors carry kube-apiserver's codes, reasons and messages", async (t) => {
  const cases: [ApiError, number, string, string][] = [
    [ApiError.notFound(deployments, "web"), 404, "NotFound", 'deployments.apps "web" not found'],
    [
      ApiError.notFound({ group: "", resource: "pods" }, "p"),
      404,
      "NotFound",
      'pods "p" not found',
    ],
    [
      ApiError.alreadyExists(deployments, "web"),
      409,
      "AlreadyExists",
      'deployments.apps "web" already exists',
    ],
    [
      ApiError.modified(deployments, "web"),
      409,
      "Conflict",
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    ],
    [
      ApiError.forbidden({ group: "", resource: "namespaces" }, {
        name: "default",
        detail: "this namespace may not be deleted",
      }),
      403,
      "Forbidden",
      'namespaces "default" is forbidden: this namespace may not be deleted',
    ],
    [ApiError.pathNotFound(), 404, "NotFound", "the server could not find the requested resource"],
    [
      ApiError.tooLarge(3145728),
      413,
      "RequestEntityTooLarge",
      "Request entity too large: limit is 3145728",
    ],
    [
      ApiError.expired("too old resource version: 5 (120)"),
      410,
      "Expired",
      "too old resource version: 5 (120)",
    ],
    [
      ApiError.methodNotSupported(deployments, "deletecollection"),
      405,
      "MethodNotAllowed",
      'deletecollection is not supported on resources of kind "deployments.apps"',
    ],
  ];
  for (const [err, code, reason, message] of cases) {
    await t.step(message, () => {
      assert.equal(err.code, code);
      assert.equal(err.reason, reason);
      assert.equal(err.message, message);
      const status = err.toStatus();
      assert.deepEqual(
        {
          kind: status.kind,
          apiVersion: status.apiVersion,
          status: status.status,
          code: status.code,
        },
        { kind: "Status", apiVersion: "v1", status: "Failure", code },
      );
    });
  }
});

Deno.test("ApiError.invalid() lists one cause per field error, named by Kind", () => {
  const err = ApiError.invalid({ group: "apps", kind: "Deployment" }, {
    name: "web",
    errors: [
      invalid("spec.replicas", { value: -1, detail: "must be greater than or equal to 0" }),
      required("spec.selector"),
    ],
  });
  assert.equal(err.code, 422);
  assert.equal(
    err.message,
    'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]',
  );
  assert.deepEqual(err.details, {
    name: "web",
    group: "apps",
    kind: "Deployment",
    causes: [
      {
        reason: "FieldValueInvalid",
        message: "Invalid value: -1: must be greater than or equal to 0",
        field: "spec.replicas",
      },
      { reason: "FieldValueRequired", message: "Required value", field: "spec.selector" },
    ],
  });
});

Deno.test("ApiError.toResponse() is a JSON Status with extra headers", async () => {
  const res = ApiError.tooManyRequests("Cannot evict pod", 10).toResponse();
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("retry-after"), "10");
  assert.equal((await res.json()).details.retryAfterSeconds, 10);
});

Deno.test("mapStorageError() turns each storage error into its Kubernetes answer", () => {
  const ctx = { ...deployments, name: "web" };
  const cases: [unknown, number, string][] = [
    [new KeyNotFoundError("/k"), 404, "NotFound"],
    [new KeyExistsError("/k"), 409, "AlreadyExists"],
    [new ConflictError("/k", 1, 2), 409, "Conflict"],
    [new CompactedError(5, 120), 410, "Expired"],
    [new FutureRevisionError(1001, 1000), 504, "Timeout"],
    [new InvalidInputError("bad"), 400, "BadRequest"],
    [new StorageUnavailableError("down"), 503, "ServiceUnavailable"],
    [new Error("boom"), 500, "InternalError"],
  ];
  for (const [err, code, reason] of cases) {
    const mapped = mapStorageError(err, ctx);
    assert.equal(mapped.code, code, String(err));
    assert.equal(mapped.reason, reason);
  }
  assert.equal(
    mapStorageError(new CompactedError(5, 120), ctx).message,
    "too old resource version: 5 (120)",
  );
  assert.equal(
    mapStorageError(new FutureRevisionError(1001, 1000), ctx).message,
    "Too large resource version: 1001, current: 1000",
  );
});

Deno.test("qualifiedResource() and qualifiedKind() leave the core group out", () => {
  assert.equal(qualifiedResource({ group: "", resource: "pods" }), "pods");
  assert.equal(qualifiedResource(deployments), "deployments.apps");
  assert.equal(qualifiedKind({ group: "apps", kind: "Deployment" }), "Deployment.apps");
  assert.equal(qualifiedKind({ group: "", kind: "Pod" }), "Pod");
});

Deno.test("ApiError.toStatus() omits an unknown (empty) reason, as upstream's omitempty does", () => {
  const unknown = new ApiError("error dialing backend: connection refused", {
    code: 500,
    reason: "",
  });
  assert.deepEqual(unknown.toStatus(), {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "error dialing backend: connection refused",
    code: 500,
  });
  assert.equal(ApiError.pathNotFound().toStatus().reason, "NotFound");
});
