/**
 * Deleting a namespace deletes its custom resources on a real `skiff server`, as the namespace
 * controller of kube-apiserver does: it discovers the CRD's resource (made after the server
 * started), deletes every instance in the namespace, reports one held by a finalizer in the
 * namespace's conditions until the finalizer goes, and leaves other namespaces' instances and
 * cluster-scoped ones alone. Driven with the real kubectl.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";

function crd(o: { plural: string; kind: string; scope: "Namespaced" | "Cluster" }) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${o.plural}.ns.example.com` },
    spec: {
      group: "ns.example.com",
      scope: o.scope,
      names: { plural: o.plural, singular: o.kind.toLowerCase(), kind: o.kind },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer" } } },
              status: { type: "object", properties: { ready: { type: "boolean" } } },
            },
          },
        },
      }],
    },
  };
}

function gadget(name: string, o: { namespace?: string; finalizers?: string[] } = {}) {
  return {
    apiVersion: "ns.example.com/v1",
    kind: "Gadget",
    metadata: {
      name,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
    spec: { size: 1 },
  };
}

Deno.test("namespace deletion removes the namespace's custom resources", async () => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server, { waitMs: 60_000 });
  const { run, runOk, json, eventually } = cluster;

  await runOk(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        crd({ plural: "gadgets", kind: "Gadget", scope: "Namespaced" }),
        crd({ plural: "sites", kind: "Site", scope: "Cluster" }),
      ],
    }),
  );
  await runOk([
    "wait",
    "--for=condition=established",
    "crd/gadgets.ns.example.com",
    "crd/sites.ns.example.com",
  ]);
  await runOk(["create", "namespace", "team"]);
  const items = [
    gadget("a", { namespace: "team" }),
    gadget("b", { namespace: "team" }),
    gadget("held", { namespace: "team", finalizers: ["ns.example.com/hold"] }),
    gadget("elsewhere", { namespace: "default" }),
    {
      apiVersion: "ns.example.com/v1",
      kind: "Site",
      metadata: { name: "global" },
      spec: { size: 2 },
    },
  ];
  await runOk(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  await runOk(["create", "configmap", "settings", "-n", "team"]);
  const names = async (args: string[]) =>
    (await runOk(["get", ...args, "-o", "name", "--ignore-not-found"])).trim().split("\n")
      .filter((l) => l !== "").sort();
  assert.deepEqual(await names(["gadgets", "-n", "team"]), [
    "gadget.ns.example.com/a",
    "gadget.ns.example.com/b",
    "gadget.ns.example.com/held",
  ]);

  await runOk(["delete", "namespace", "team", "--wait=false"]);
  await eventually(
    "the namespace's gadgets without finalizers to be deleted",
    async () => (await names(["gadgets", "-n", "team"])).join(",") === "gadget.ns.example.com/held",
  );
  // The one held by its finalizer is marked for deletion, and the namespace says why it waits.
  const held = await json(["get", "gadget", "held", "-n", "team"]);
  assert.ok(held.metadata.deletionTimestamp, "the held gadget is being deleted");
  await eventually("the namespace to report the finalizer", async () => {
    const ns = await json(["get", "namespace", "team"]);
    const condition = (ns.status?.conditions ?? []).find((c: { type: string }) =>
      c.type === "NamespaceFinalizersRemaining"
    );
    return ns.status?.phase === "Terminating" && condition?.status === "True" &&
      condition.message ===
        "Some finalizers are remaining: ns.example.com/hold in 1 resource instances";
  });
  assert.deepEqual(await names(["configmaps", "-n", "team"]), []);

  // The finalizer removed, the gadget and then the namespace go.
  await runOk([
    "patch",
    "gadget",
    "held",
    "-n",
    "team",
    "--type=merge",
    "-p",
    '{"metadata":{"finalizers":null}}',
  ]);
  await eventually("the namespace to be deleted", async () => {
    const r = await run(["get", "namespace", "team", "--ignore-not-found", "-o", "name"]);
    return r.code === 0 && r.stdout.trim() === "";
  });
  // Other namespaces' and cluster-scoped instances stay.
  assert.deepEqual(await names(["gadgets", "-n", "default"]), ["gadget.ns.example.com/elsewhere"]);
  assert.deepEqual(await names(["sites"]), ["site.ns.example.com/global"]);
});
