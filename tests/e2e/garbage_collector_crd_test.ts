/**
 * The garbage collector follows CustomResourceDefinitions on a real `skiff server`: a custom
 * resource made after the server started (its CRD created then) is collected when its owner
 * goes, and owns objects that are collected when it goes — so its resource got a monitor
 * without a restart; once the CRD is deleted, that monitor stops. Driven with the real kubectl.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.gc.example.com" },
  spec: {
    group: "gc.example.com",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget" },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
    }],
  },
};

function ownerRef(kind: string, apiVersion: string, o: { name: string; uid: string }) {
  return { apiVersion, kind, name: o.name, uid: o.uid };
}

Deno.test("garbage collector: custom resources of a CRD made after start are collected", async () => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { waitMs: 30_000 });
  const { runOk, json, eventually } = cluster;
  const uidOf = async (what: string) => (await json(["get", what, "-o", "json"])).metadata.uid;

  await runOk(["apply", "-f", "-"], JSON.stringify(CRD));
  await runOk(["wait", "--for=condition=established", "crd/widgets.gc.example.com"]);

  // A Widget owned by a ConfigMap, and a ConfigMap owned by the Widget.
  await runOk(["create", "configmap", "owner"]);
  const owner = { name: "owner", uid: await uidOf("configmap/owner") };
  await runOk(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "gc.example.com/v1",
      kind: "Widget",
      metadata: { name: "w", ownerReferences: [ownerRef("ConfigMap", "v1", owner)] },
    }),
  );
  const widget = { name: "w", uid: await uidOf("widget/w") };
  await runOk(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "dependent",
        ownerReferences: [ownerRef("Widget", "gc.example.com/v1", widget)],
      },
    }),
  );

  await runOk(["delete", "configmap", "owner"]);
  const gone = async (what: string) => {
    const r = await cluster.run(["get", what, "--ignore-not-found", "-o", "name"]);
    return r.code === 0 && r.stdout.trim() === "";
  };
  await eventually(
    "the Widget owned by the deleted ConfigMap to be collected",
    () => gone("widget/w"),
  );
  await eventually(
    "the ConfigMap owned by the collected Widget to be collected",
    () => gone("configmap/dependent"),
  );
  assert.ok(await gone("widget/w"));

  // The CRD deleted: its resource's monitor stops (no watch left retrying a 404).
  await runOk(["delete", "crd", "widgets.gc.example.com"]);
  await eventually(
    "the garbage collector to stop watching widgets",
    () =>
      Promise.resolve(/Stopped watching resources.*widgets\.gc\.example\.com/.test(
        server.logTail(400),
      )),
  );
});
