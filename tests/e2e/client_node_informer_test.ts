/**
 * `@kubernetes/client-node` 1.x informers (its `ListWatch` cache) on a real `skiff server`:
 * ConfigMaps, Secrets and apps/v1 Deployments of one namespace and Namespaces chosen by a label
 * selector. They sync, follow creates, updates and deletes, and survive two outages, restarted
 * by their `error` handlers as client-node's documentation shows:
 *
 * - a server restart: each informer watches again from the resourceVersion it had, which the
 *   server still has in its history, so it resumes without listing again and misses nothing;
 * - a restart after compaction: while the server is down the test deletes and creates objects
 *   in its storage (the Deno KV file) and compacts it past every informer's resourceVersion, so
 *   the informers' watches answer 410 `Expired`; they list again, and the cache reports the
 *   objects deleted and created during the outage.
 *
 * Runs under Deno with client-node from npm.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { encodeForStorage } from "../../control/api/store/object_codec.ts";
import { openStorage } from "../../control/storage/registry.ts";
import { startTestServer } from "../_support/skiff_server.ts";
import { until } from "../_support/until.ts";

const NS = "informers";
const SELECTOR = "team=informers";
const RESTART_DELAY_MS = 200;

type Obj = k8s.KubernetesObject;

/** One informer and what it reported. */
interface Watched {
  readonly name: string;
  readonly informer: k8s.Informer<Obj> & k8s.ObjectCache<Obj>;
  /** Calls of its list function: one per (re)list. */
  lists: number;
  errors: number;
  readonly added: string[];
  readonly updated: string[];
  readonly deleted: string[];
  /** What the server lists now, as `name@resourceVersion`. */
  readonly serverState: () => Promise<string[]>;
}

function keys(items: readonly Obj[]): string[] {
  return items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
}

Deno.test({
  name: "client-node informers over several kinds survive a server restart and a 410",
  // client-node leaves the body of a watch response it aborted unread (a fetch resource).
  sanitizeResources: false,
  fn: async (t) => {
    await using server = await startTestServer();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NS, labels: { team: "informers" } } } });
    for (const name of ["cm-a", "cm-b", "cm-c"]) {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name }, data: { v: "1" } },
      });
    }
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: "token" }, stringData: { token: "s3cret" } },
    });

    let stopping = false;
    const all: Watched[] = [];
    function watch(
      name: string,
      o: {
        path: string;
        list: () => Promise<k8s.KubernetesListObject<Obj>>;
        labelSelector?: string;
      },
    ): Watched {
      const w: Watched = {
        name,
        informer: k8s.makeInformer<Obj>(kc, o.path, () => {
          w.lists++;
          return o.list();
        }, o.labelSelector),
        lists: 0,
        errors: 0,
        added: [],
        updated: [],
        deleted: [],
        serverState: async () => keys((await o.list()).items),
      };
      w.informer.on("add", (obj) => w.added.push(obj.metadata?.name ?? ""));
      w.informer.on("update", (obj) => w.updated.push(obj.metadata?.name ?? ""));
      w.informer.on("delete", (obj) => w.deleted.push(obj.metadata?.name ?? ""));
      // As client-node's README: restart the informer after an error.
      w.informer.on("error", () => {
        w.errors++;
        if (stopping) return;
        setTimeout(() => {
          if (!stopping) w.informer.start().catch(() => {});
        }, RESTART_DELAY_MS);
      });
      all.push(w);
      return w;
    }
    const configMaps = watch("ConfigMaps", {
      path: `/api/v1/namespaces/${NS}/configmaps`,
      list: () => core.listNamespacedConfigMap({ namespace: NS }),
    });
    const secrets = watch("Secrets", {
      path: `/api/v1/namespaces/${NS}/secrets`,
      list: () => core.listNamespacedSecret({ namespace: NS }),
    });
    const deployments = watch("Deployments", {
      path: `/apis/apps/v1/namespaces/${NS}/deployments`,
      list: () => apps.listNamespacedDeployment({ namespace: NS }),
    });
    const namespaces = watch("Namespaces", {
      path: "/api/v1/namespaces",
      list: () => core.listNamespace({ labelSelector: SELECTOR }),
      labelSelector: SELECTOR,
    });

    /** Waits until every informer's cache holds what the server lists. */
    const synced = async (what: string) => {
      for (const w of all) {
        let last: { cache: string[]; server: string[] } = { cache: [], server: [] };
        await until(async () => {
          last = { cache: keys(w.informer.list()), server: await w.serverState() };
          return JSON.stringify(last.cache) === JSON.stringify(last.server);
        }, {
          what: `${w.name} informer ${what} (cache ${last.cache.join(", ")}; server ${
            last.server.join(", ")
          })`,
          timeoutMs: 30_000,
          intervalMs: 100,
        }).catch((err) => {
          throw new Error(
            `${err.message}; cache ${last.cache.join(", ")}; server ${last.server.join(", ")}` +
              `\nserver log:\n${server.logTail(20)}`,
          );
        });
      }
    };
    const deployment = (name: string) => ({
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "c", image: "docker.io/skiff/busybox:1.36" }] },
        },
      },
    });

    try {
      await t.step("informers sync and follow creates, updates and deletes", async () => {
        await Promise.all(all.map((w) => w.informer.start()));
        await synced("to sync");
        assert.deepEqual(configMaps.added.sort(), ["cm-a", "cm-b", "cm-c", "kube-root-ca.crt"]);
        assert.ok(secrets.added.includes("token"));
        assert.deepEqual(namespaces.added, [NS]);

        await apps.createNamespacedDeployment({ namespace: NS, body: deployment("web") });
        await core.patchNamespacedConfigMap(
          { namespace: NS, name: "cm-a", body: { data: { v: "2" } } },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
        await core.deleteNamespacedConfigMap({ namespace: NS, name: "cm-b" });
        await synced("to follow changes");
        assert.ok(deployments.added.includes("web"));
        assert.ok(
          deployments.updated.includes("web"),
          "the Deployment controller's status writes",
        );
        assert.ok(configMaps.updated.includes("cm-a"));
        assert.deepEqual(configMaps.deleted, ["cm-b"]);
        assert.ok(all.every((w) => w.lists === 1));
      });

      await t.step(
        "after a server restart they watch from their resourceVersion without listing",
        async () => {
          await server.restart();
          await core.createNamespacedConfigMap({
            namespace: NS,
            body: { metadata: { name: "cm-after-restart" } },
          });
          await core.deleteNamespacedSecret({ namespace: NS, name: "token" });
          await apps.createNamespacedDeployment({ namespace: NS, body: deployment("api") });
          await synced("to resume after the restart");
          assert.ok(all.every((w) => w.errors > 0), "every watch broke with the server");
          assert.deepEqual(
            all.map((w) => `${w.name}:${w.lists}`),
            all.map((w) => `${w.name}:1`),
            "no informer listed again",
          );
          assert.ok(configMaps.added.includes("cm-after-restart"));
          assert.deepEqual(secrets.deleted, ["token"]);
          assert.ok(deployments.added.includes("api"));
        },
      );

      await t.step(
        "after a restart past compaction their watches get 410, they list again and catch up",
        async () => {
          const beforeDeleted = configMaps.deleted.length;
          await server.halt();
          await using storage = await openStorage(`kv://${server.dataDir}/db/state.kv`);
          // What the informers cannot see but by listing again: changes during the outage.
          await storage.delete(`/registry/configmaps/${NS}/cm-c`);
          await storage.create(
            `/registry/configmaps/${NS}/cm-offline`,
            encodeForStorage(
              {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: {
                  name: "cm-offline",
                  namespace: NS,
                  uid: crypto.randomUUID(),
                  creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
                },
                data: { written: "offline" },
              } as Parameters<typeof encodeForStorage>[0],
            ),
          );
          await storage.delete(`/registry/deployments/${NS}/api`);
          // Two more revisions, so that no informer's resourceVersion is the compacted one's.
          const filler = await storage.create(
            "/registry/configmaps/offline-filler/filler",
            encodeForStorage({
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: "filler", namespace: "offline-filler" },
            }),
          );
          await storage.delete(filler.key);
          await storage.compact(await storage.currentRevision());
          await storage.close();
          await server.restart();

          await synced("to list again after 410");
          assert.deepEqual(
            all.map((w) => `${w.name}:${w.lists}`),
            all.map((w) => `${w.name}:2`),
            "every informer listed once more",
          );
          assert.deepEqual(configMaps.deleted.slice(beforeDeleted), ["cm-c"]);
          assert.ok(configMaps.added.includes("cm-offline"));
          assert.equal(configMaps.informer.get("cm-offline", NS)?.metadata?.name, "cm-offline");
          assert.ok(deployments.deleted.includes("api"));

          // And they keep watching.
          await core.createNamespacedConfigMap({
            namespace: NS,
            body: { metadata: { name: "cm-after-410" } },
          });
          await core.patchNamespace(
            { name: NS, body: { metadata: { labels: { team: "elsewhere" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
          );
          await synced("to follow changes after 410");
          assert.ok(configMaps.added.includes("cm-after-410"));
          assert.deepEqual(namespaces.deleted, [NS], "a namespace leaving the selector");
        },
      );
    } finally {
      stopping = true;
      await Promise.all(all.map((w) => w.informer.stop()));
    }
  },
});
