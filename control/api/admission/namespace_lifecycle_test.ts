import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { createTestApp } from "../_test_app.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import type { AdmissionAttributes } from "./admission.ts";
import { NamespaceLifecycle, SYSTEM_NAMESPACES } from "./namespace_lifecycle.ts";

function def(group: string, resource: string): ResourceDef {
  return BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource)!;
}

function attrs(
  operation: AdmissionAttributes["operation"],
  options: { def: ResourceDef; namespace: string; name: string; subresource?: string },
): AdmissionAttributes {
  return {
    operation,
    def: options.def,
    namespace: options.namespace,
    name: options.name,
    subresource: options.subresource ?? "",
    object: { metadata: { name: options.name } },
    oldObject: undefined,
    dryRun: false,
    username: "alice",
    groups: [],
  };
}

function namespace(name: string, terminating = false) {
  return encodeForStorage({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, ...(terminating ? { deletionTimestamp: "2025-01-01T00:00:00Z" } : {}) },
    status: { phase: terminating ? "Terminating" : "Active" },
  });
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail("expected an ApiError");
}

Deno.test("SYSTEM_NAMESPACES are the four namespaces a cluster starts with", () => {
  assert.deepEqual(SYSTEM_NAMESPACES, ["default", "kube-system", "kube-public", "kube-node-lease"]);
});

Deno.test("NamespaceLifecycle.admit() answers 404 for content of a missing namespace", async () => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const plugin = new NamespaceLifecycle({
    storage,
    logger: new RecordingLogger(),
    signal: stop.signal,
  });
  try {
    const err = await rejection(
      plugin.admit(attrs("CREATE", { def: def("", "configmaps"), namespace: "x", name: "a" })),
    );
    assert.deepEqual(err.toStatus(), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'namespaces "x" not found',
      reason: "NotFound",
      details: { name: "x", kind: "namespaces" },
      code: 404,
    });
    // A namespace created after the view synced is found (looked up in storage).
    await storage.create("/registry/namespaces/x", namespace("x"));
    await plugin.admit(
      attrs("CREATE", { def: def("", "configmaps"), namespace: "x", name: "a" }),
    );
    // Cluster-scoped kinds and writes other than create are not checked.
    await plugin.admit(attrs("CREATE", { def: def("", "nodes"), namespace: "", name: "n1" }));
    await plugin.admit(
      attrs("UPDATE", { def: def("", "configmaps"), namespace: "gone", name: "a" }),
    );
  } finally {
    stop.abort();
  }
});

Deno.test("NamespaceLifecycle.admit() refuses new content in a terminating namespace with 403", async () => {
  await using storage = new MemoryStorage();
  await storage.create("/registry/namespaces/t", namespace("t", true));
  const stop = new AbortController();
  const plugin = new NamespaceLifecycle({
    storage,
    logger: new RecordingLogger(),
    signal: stop.signal,
  });
  try {
    const err = await rejection(
      plugin.admit(
        attrs("CREATE", { def: def("apps", "deployments"), namespace: "t", name: "web" }),
      ),
    );
    assert.equal(err.code, 403);
    assert.equal(err.reason, "Forbidden");
    assert.equal(
      err.message,
      'deployments.apps "web" is forbidden: unable to create new content in namespace t because it is being terminated',
    );
    assert.deepEqual(err.details, {
      name: "web",
      group: "apps",
      kind: "deployments",
      causes: [{
        reason: "NamespaceTerminating",
        message: "namespace t is being terminated",
        field: "metadata.namespace",
      }],
    });
    // Events and service account tokens may still be created, as upstream allows.
    await plugin.admit(attrs("CREATE", { def: def("", "events"), namespace: "t", name: "e" }));
    await plugin.admit(
      attrs("CREATE", {
        def: def("", "serviceaccounts"),
        namespace: "t",
        name: "sa",
        subresource: "token",
      }),
    );
  } finally {
    stop.abort();
  }
});

Deno.test("NamespaceLifecycle.admit() protects the system namespaces from deletion", async (t) => {
  await using storage = new MemoryStorage();
  const stop = new AbortController();
  const plugin = new NamespaceLifecycle({
    storage,
    logger: new RecordingLogger(),
    signal: stop.signal,
  });
  try {
    for (const name of SYSTEM_NAMESPACES) {
      await t.step(name, async () => {
        const err = await rejection(
          plugin.admit(attrs("DELETE", { def: def("", "namespaces"), namespace: "", name })),
        );
        assert.equal(err.code, 403);
        assert.equal(
          err.message,
          `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        );
        assert.deepEqual(err.details, { name, group: "", kind: "namespaces" });
      });
    }
    await plugin.admit(
      attrs("DELETE", { def: def("", "namespaces"), namespace: "", name: "apps" }),
    );
  } finally {
    stop.abort();
  }
});

Deno.test("NamespaceLifecycle follows namespaces being deleted through its watch", async () => {
  await using storage = new MemoryStorage();
  const created = await storage.create("/registry/namespaces/w", namespace("w"));
  const stop = new AbortController();
  const plugin = new NamespaceLifecycle({
    storage,
    logger: new RecordingLogger(),
    signal: stop.signal,
  });
  const create = () =>
    plugin.admit(attrs("CREATE", { def: def("", "configmaps"), namespace: "w", name: "a" }));
  try {
    await create();
    const updated = await storage.update(
      "/registry/namespaces/w",
      namespace("w", true),
      created.modRevision,
    );
    // The view catches up with the watch (a few turns of the event loop).
    for (let i = 0; i < 100; i++) {
      const ok = await create().then(() => true, () => false);
      if (!ok) break;
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.equal((await rejection(create())).code, 403);
    await storage.delete("/registry/namespaces/w", updated.modRevision);
    for (let i = 0; i < 100; i++) {
      const err = await rejection(create());
      if (err.code === 404) break;
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.equal((await rejection(create())).code, 404);
  } finally {
    stop.abort();
  }
});

Deno.test("POST into a missing or terminating namespace answers as kube-apiserver", async () => {
  await using t = await createTestApp();
  const missing = await t.json("POST", "/api/v1/namespaces/nope/configmaps", {
    body: { metadata: { name: "a" } },
  });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'namespaces "nope" not found');
  assert.equal(
    (await t.json("POST", "/api/v1/namespaces", { body: { metadata: { name: "t" } } })).status,
    201,
  );
  const deleted = await t.json("DELETE", "/api/v1/namespaces/t");
  assert.equal(deleted.status, 200);
  assert.equal((deleted.body.status as { phase: string }).phase, "Terminating");
  const refused = await t.json("POST", "/api/v1/namespaces/t/configmaps", {
    body: { metadata: { name: "a" } },
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.reason, "Forbidden");
  assert.equal(
    refused.body.message,
    'configmaps "a" is forbidden: unable to create new content in namespace t because it is being terminated',
  );
  const system = await t.json("DELETE", "/api/v1/namespaces/kube-system");
  assert.equal(system.status, 403);
  assert.equal(
    system.body.message,
    'namespaces "kube-system" is forbidden: this namespace may not be deleted',
  );
});
