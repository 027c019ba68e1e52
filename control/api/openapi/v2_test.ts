import assert from "node:assert/strict";
import { buildOpenApiV2 } from "./v2.ts";
import { refsOf, RESOURCES } from "./_test_resources.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

function doc(): Json {
  return buildOpenApiV2(RESOURCES, { gitVersion: "v1.28.0" }) as Json;
}

Deno.test("buildOpenApiV2() makes one Swagger 2.0 document for every group", () => {
  const d = doc();
  assert.equal(d.swagger, "2.0");
  assert.deepEqual(d.info, { title: "Kubernetes", version: "v1.28.0" });
  assert.ok("/api/v1/namespaces/{namespace}/pods/{name}" in d.paths);
  assert.ok("/apis/apps/v1/namespaces/{namespace}/deployments/{name}" in d.paths);
  assert.deepEqual(d.security, [{ BearerToken: [] }]);
  assert.equal(d.securityDefinitions.BearerToken.type, "apiKey");
});

Deno.test("buildOpenApiV2() writes operations in v2 style", () => {
  const item = doc().paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
  const patch = item.patch;
  assert.deepEqual(patch.consumes, [
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
  ]);
  assert.deepEqual(patch.produces, [
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
  ]);
  assert.deepEqual(patch.schemes, ["https"]);
  assert.deepEqual(patch["x-kubernetes-group-version-kind"], {
    group: "apps",
    kind: "Deployment",
    version: "v1",
  });
  assert.equal(patch["x-kubernetes-action"], "patch");
  const names = patch.parameters.map((p: Json) => p.name);
  assert.deepEqual(names, ["dryRun", "fieldManager", "fieldValidation", "force", "body"]);
  assert.deepEqual(patch.parameters[2], {
    description: patch.parameters[2].description,
    in: "query",
    name: "fieldValidation",
    type: "string",
    uniqueItems: true,
  });
  assert.deepEqual(patch.parameters[4], {
    in: "body",
    name: "body",
    required: true,
    schema: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" },
  });
  assert.deepEqual(item.put.consumes, ["*/*"]);
  assert.deepEqual(item.get.responses["200"], {
    description: "OK",
    schema: { $ref: "#/definitions/io.k8s.api.apps.v1.Deployment" },
  });
  assert.deepEqual(item.parameters[0], {
    description: "Name of the Deployment.",
    in: "path",
    name: "name",
    required: true,
    type: "string",
    uniqueItems: true,
  });
});

Deno.test("buildOpenApiV2() writes definitions in v2 forms", () => {
  const d = doc();
  const defs = d.definitions as Record<string, Json>;
  for (const ref of refsOf(d)) {
    assert.ok(ref.replace("#/definitions/", "") in defs, ref);
  }
  assert.deepEqual(
    { ...defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"], description: undefined },
    { description: undefined, format: "int-or-string", type: "string" },
  );
  assert.equal(defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]!.type, "string");
  assert.equal(defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]!.oneOf, undefined);
  // v2 keeps siblings of $ref, no allOf.
  assert.deepEqual(defs["io.k8s.api.apps.v1.DeploymentSpec"]!.properties.maxSurge, {
    $ref: "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    description: "Extra pods during a rollout.",
  });
  assert.deepEqual(defs["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"], [
    { group: "apps", kind: "Deployment", version: "v1" },
  ]);
  assert.ok("io.k8s.api.core.v1.PodList" in defs);
  assert.ok("io.k8s.api.autoscaling.v1.Scale" in defs);
});
