import assert from "node:assert/strict";
import { buildOpenApiV3, openApiDocumentHash, openApiV3Index } from "./v3.ts";
import { refsOf, RESOURCES } from "./_test_resources.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

const INFO = { gitVersion: "v1.33.0" };

function docs(): Map<string, Json> {
  return buildOpenApiV3(RESOURCES, INFO) as Map<string, Json>;
}

/** kubectl's check (cli-runtime `query_param_verifier_v3.go`): a patch operation with the GVK and the parameter. */
function supportsFieldValidation(
  doc: Json,
  gvk: { group: string; version: string; kind: string },
): boolean {
  for (const item of Object.values(doc.paths as Record<string, Json>)) {
    const op = item.patch;
    if (!op) continue;
    const g = op["x-kubernetes-group-version-kind"];
    if (g?.group !== gvk.group || g?.version !== gvk.version || g?.kind !== gvk.kind) continue;
    if (
      (op.parameters as Json[] | undefined)?.some((p) =>
        p.name === "fieldValidation" && p.in === "query"
      )
    ) {
      return true;
    }
  }
  return false;
}

Deno.test("buildOpenApiV3() makes one document per group-version", () => {
  const all = docs();
  assert.deepEqual([...all.keys()], ["api/v1", "apis/apps/v1"]);
  const apps = all.get("apis/apps/v1")!;
  assert.equal(apps.openapi, "3.0.0");
  assert.deepEqual(apps.info, { title: "Kubernetes", version: "v1.33.0" });
  assert.ok(Object.keys(apps.paths).every((p) => p.startsWith("/apis/apps/v1/")));
  assert.ok(Object.keys(all.get("api/v1")!.paths).every((p) => p.startsWith("/api/v1/")));
});

Deno.test("buildOpenApiV3() lets kubectl detect server-side field validation", () => {
  const all = docs();
  assert.ok(
    supportsFieldValidation(all.get("apis/apps/v1")!, {
      group: "apps",
      version: "v1",
      kind: "Deployment",
    }),
  );
  assert.ok(supportsFieldValidation(all.get("api/v1")!, { group: "", version: "v1", kind: "Pod" }));
  assert.ok(
    supportsFieldValidation(all.get("api/v1")!, { group: "", version: "v1", kind: "Namespace" }),
  );
  assert.ok(
    !supportsFieldValidation(all.get("api/v1")!, {
      group: "apps",
      version: "v1",
      kind: "Deployment",
    }),
  );
});

Deno.test("buildOpenApiV3() shapes operations as kube-apiserver does", async (t) => {
  const apps = docs().get("apis/apps/v1")!;
  const collection = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments"];
  const item = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
  await t.step("actions and operation ids", () => {
    const ops: [Json, string, string, string][] = [
      [collection, "get", "list", "listAppsV1NamespacedDeployment"],
      [collection, "post", "post", "createAppsV1NamespacedDeployment"],
      [collection, "delete", "deletecollection", "deleteAppsV1CollectionNamespacedDeployment"],
      [item, "get", "get", "readAppsV1NamespacedDeployment"],
      [item, "put", "put", "replaceAppsV1NamespacedDeployment"],
      [item, "patch", "patch", "patchAppsV1NamespacedDeployment"],
      [item, "delete", "delete", "deleteAppsV1NamespacedDeployment"],
      [
        apps.paths["/apis/apps/v1/deployments"],
        "get",
        "list",
        "listAppsV1DeploymentForAllNamespaces",
      ],
      [
        apps.paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments"],
        "get",
        "watchlist",
        "watchAppsV1NamespacedDeploymentList",
      ],
      [
        apps.paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"],
        "get",
        "watch",
        "watchAppsV1NamespacedDeployment",
      ],
      [
        apps.paths["/apis/apps/v1/watch/deployments"],
        "get",
        "watchlist",
        "watchAppsV1DeploymentListForAllNamespaces",
      ],
      [
        apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"],
        "patch",
        "patch",
        "patchAppsV1NamespacedDeploymentStatus",
      ],
      [
        apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"],
        "put",
        "put",
        "replaceAppsV1NamespacedDeploymentScale",
      ],
    ];
    for (const [path, method, action, id] of ops) {
      assert.equal(path[method]["x-kubernetes-action"], action, id);
      assert.equal(path[method].operationId, id);
      assert.deepEqual(path[method].tags, ["apps_v1"]);
    }
  });
  await t.step("GVK on operations is one object; scale names its own kind", () => {
    assert.deepEqual(item.patch["x-kubernetes-group-version-kind"], {
      group: "apps",
      kind: "Deployment",
      version: "v1",
    });
    const scale = apps.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert.deepEqual(scale.get["x-kubernetes-group-version-kind"], {
      group: "autoscaling",
      kind: "Scale",
      version: "v1",
    });
  });
  await t.step("parameters", () => {
    assert.deepEqual(item.parameters.map((p: Json) => p.name), ["name", "namespace", "pretty"]);
    assert.deepEqual(item.parameters[0], {
      description: "Name of the Deployment.",
      in: "path",
      name: "name",
      required: true,
      schema: { type: "string", uniqueItems: true },
    });
    assert.deepEqual(item.patch.parameters.map((p: Json) => p.name), [
      "dryRun",
      "fieldManager",
      "fieldValidation",
      "force",
    ]);
    assert.deepEqual(item.put.parameters.map((p: Json) => p.name), [
      "dryRun",
      "fieldManager",
      "fieldValidation",
    ]);
    assert.deepEqual(collection.get.parameters.map((p: Json) => p.name), [
      "allowWatchBookmarks",
      "continue",
      "fieldSelector",
      "labelSelector",
      "limit",
      "resourceVersion",
      "resourceVersionMatch",
      "sendInitialEvents",
      "timeoutSeconds",
      "watch",
    ]);
    assert.ok(item.delete.parameters.some((p: Json) => p.name === "propagationPolicy"));
    assert.equal(
      item.patch.parameters.find((p: Json) => p.name === "force").schema.type,
      "boolean",
    );
    // A read-only path takes every parameter at path level.
    const watch = apps.paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments"];
    assert.equal(watch.get.parameters, undefined);
    assert.ok(watch.parameters.some((p: Json) => p.name === "watch"));
    assert.ok(watch.parameters.some((p: Json) => p.name === "namespace"));
  });
  await t.step("bodies and responses", () => {
    assert.deepEqual(Object.keys(item.patch.requestBody.content), [
      "application/apply-patch+yaml",
      "application/json-patch+json",
      "application/merge-patch+json",
      "application/strategic-merge-patch+json",
    ]);
    assert.equal(item.patch.requestBody.required, true);
    assert.deepEqual(collection.post.requestBody.content["*/*"].schema, {
      $ref: "#/components/schemas/io.k8s.api.apps.v1.Deployment",
    });
    assert.deepEqual(Object.keys(collection.post.responses), ["200", "201", "202", "401"]);
    assert.deepEqual(
      collection.get.responses["200"].content["application/json;stream=watch"].schema,
      {
        $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentList",
      },
    );
    assert.deepEqual(item.delete.responses["200"].content["application/json"].schema, {
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    });
    assert.deepEqual(item.delete.requestBody.content["*/*"].schema, {
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    });
    const watch = apps.paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}"];
    assert.deepEqual(watch.get.responses["200"].content["application/json"].schema, {
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    });
    assert.deepEqual(item.get.responses["401"], { description: "Unauthorized" });
  });
  await t.step("streaming subresources", () => {
    const core = docs().get("api/v1")!;
    const log = core.paths["/api/v1/namespaces/{namespace}/pods/{name}/log"];
    assert.equal(log.get.operationId, "readCoreV1NamespacedPodLog");
    assert.deepEqual(log.get.responses["200"].content["*/*"].schema, { type: "string" });
    const exec = core.paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"];
    assert.equal(exec.get.operationId, "connectCoreV1GetNamespacedPodExec");
    assert.equal(exec.post.operationId, "connectCoreV1PostNamespacedPodExec");
    assert.equal(exec.post["x-kubernetes-action"], "connect");
  });
  await t.step("cluster-scoped resources", () => {
    const core = docs().get("api/v1")!;
    assert.equal(core.paths["/api/v1/namespaces"].get.operationId, "listCoreV1Namespace");
    assert.equal(core.paths["/api/v1/namespaces/{name}"].patch.operationId, "patchCoreV1Namespace");
    assert.deepEqual(core.paths["/api/v1/namespaces/{name}"].parameters.map((p: Json) => p.name), [
      "name",
      "pretty",
    ]);
    assert.equal(
      core.paths["/api/v1/watch/namespaces"].get.operationId,
      "watchCoreV1NamespaceList",
    );
    assert.equal(core.paths["/api/v1/namespaces/{name}/deletecollection"], undefined);
  });
});

Deno.test("buildOpenApiV3() publishes the schemas with Kubernetes' extensions", async (t) => {
  const apps = docs().get("apis/apps/v1")!;
  const schemas = apps.components.schemas as Record<string, Json>;
  await t.step("every $ref resolves in the same document", () => {
    for (const [key, doc] of docs()) {
      for (const ref of refsOf(doc)) {
        const name = ref.replace("#/components/schemas/", "");
        assert.ok(name in (doc.components.schemas as object), `${key}: ${ref}`);
      }
    }
  });
  await t.step("kinds carry their GVK as an array", () => {
    assert.deepEqual(schemas["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"], [
      { group: "apps", kind: "Deployment", version: "v1" },
    ]);
    assert.equal(schemas["io.k8s.api.apps.v1.Deployment"]!.type, "object");
    assert.deepEqual(
      schemas["io.k8s.api.autoscaling.v1.Scale"]!["x-kubernetes-group-version-kind"],
      [
        { group: "autoscaling", kind: "Scale", version: "v1" },
      ],
    );
    const deleteOptions = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"]!;
    assert.deepEqual(deleteOptions["x-kubernetes-group-version-kind"], [
      { group: "", kind: "DeleteOptions", version: "v1" },
      { group: "apps", kind: "DeleteOptions", version: "v1" },
    ]);
  });
  await t.step("list kinds are synthesized", () => {
    const list = schemas["io.k8s.api.apps.v1.DeploymentList"]!;
    assert.deepEqual(list["x-kubernetes-group-version-kind"], [{
      group: "apps",
      kind: "DeploymentList",
      version: "v1",
    }]);
    assert.deepEqual(list.required, ["items"]);
    assert.deepEqual(list.properties.items.items, {
      $ref: "#/components/schemas/io.k8s.api.apps.v1.Deployment",
    });
    assert.deepEqual(list.properties.metadata.allOf, [{
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    }]);
  });
  await t.step("fields: refs, formats, patch and list metadata", () => {
    const spec = schemas["io.k8s.api.apps.v1.DeploymentSpec"]!;
    assert.deepEqual(spec.required, ["selector", "template"]);
    assert.deepEqual(spec.properties.replicas, {
      description: "Desired pods.",
      format: "int32",
      minimum: 0,
      type: "integer",
    });
    assert.deepEqual(spec.properties.maxSurge, {
      allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }],
      description: "Extra pods during a rollout.",
    });
    const podSpec = schemas["io.k8s.api.core.v1.PodSpec"]!;
    assert.equal(podSpec.properties.containers["x-kubernetes-patch-merge-key"], "name");
    assert.equal(podSpec.properties.containers["x-kubernetes-patch-strategy"], "merge");
    assert.equal(podSpec.properties.nodeSelector["x-kubernetes-map-type"], "atomic");
    assert.deepEqual(podSpec.properties.nodeSelector.additionalProperties, { type: "string" });
    const container = schemas["io.k8s.api.core.v1.Container"]!;
    assert.equal(container.properties.ports["x-kubernetes-list-type"], "map");
    assert.deepEqual(container.properties.ports["x-kubernetes-list-map-keys"], [
      "containerPort",
      "protocol",
    ]);
    assert.deepEqual(container.properties.resources.additionalProperties, {
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity",
    });
    const port = schemas["io.k8s.api.core.v1.ContainerPort"]!;
    assert.deepEqual(port.properties.protocol, {
      default: "TCP",
      description: "The protocol.",
      enum: ["TCP", "UDP", "SCTP"],
      type: "string",
    });
    const meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]!;
    assert.deepEqual(meta.properties.creationTimestamp.allOf, [{
      $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    }]);
    assert.equal(meta.properties.ownerReferences["x-kubernetes-patch-merge-key"], "uid");
    assert.equal(meta.properties.finalizers["x-kubernetes-list-type"], "set");
    assert.equal(
      schemas["io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"]!["x-kubernetes-map-type"],
      "atomic",
    );
  });
  await t.step("special types in their v3 forms", () => {
    assert.deepEqual(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]!.oneOf, [{
      type: "integer",
    }, { type: "string" }]);
    assert.equal(
      schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]!.format,
      "int-or-string",
    );
    assert.equal(
      schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]!["x-kubernetes-int-or-string"],
      true,
    );
    assert.deepEqual(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]!.oneOf, [{
      type: "string",
    }, { type: "number" }]);
    assert.equal(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]!.format, "date-time");
    assert.equal(schemas["io.k8s.apimachinery.pkg.runtime.RawExtension"]!.type, "object");
    const secret = docs().get("api/v1")!.components.schemas["io.k8s.api.core.v1.Secret"];
    assert.deepEqual(secret.properties.data.additionalProperties, {
      format: "byte",
      type: "string",
    });
  });
});

Deno.test("buildOpenApiV3() is deterministic", () => {
  const a = [...buildOpenApiV3(RESOURCES, INFO)].map(([k, d]) => [k, JSON.stringify(d)]);
  const b = [...buildOpenApiV3([...RESOURCES], INFO)].map(([k, d]) => [k, JSON.stringify(d)]);
  assert.deepEqual(a, b);
});

Deno.test("openApiV3Index() points at each document by hash", () => {
  const all = buildOpenApiV3(RESOURCES, INFO);
  const hashes = new Map([...all].map(([k, d]) => [k, openApiDocumentHash(JSON.stringify(d))]));
  const index = openApiV3Index(all, (key) => hashes.get(key)!);
  assert.deepEqual(index, {
    paths: {
      "api/v1": { serverRelativeURL: `/openapi/v3/api/v1?hash=${hashes.get("api/v1")}` },
      "apis/apps/v1": {
        serverRelativeURL: `/openapi/v3/apis/apps/v1?hash=${hashes.get("apis/apps/v1")}`,
      },
    },
  });
});

Deno.test("openApiDocumentHash() is SHA-512 in upper-case hex", () => {
  assert.equal(
    openApiDocumentHash("abc"),
    "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F",
  );
  assert.equal(openApiDocumentHash(new TextEncoder().encode("abc")), openApiDocumentHash("abc"));
});
