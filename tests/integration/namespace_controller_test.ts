/**
 * The Namespace controller against the real API app in process, on the real clock with its
 * informers and workers running: deleting a namespace removes its content and then the
 * namespace; a finalizer on a pod keeps it Terminating, reported, until the finalizer goes.
 */
import assert from "node:assert/strict";
import type { Namespace } from "../../control/api/types/core_v1_namespace.ts";
import { isNotFound } from "../../control/client/errors.ts";
import {
  type ApiResource,
  CONFIG_MAPS,
  DEPLOYMENTS,
  NAMESPACES,
  PODS,
  SECRETS,
} from "../../control/client/resources.ts";
import { SharedInformerFactory } from "../../control/client/shared_informer_factory.ts";
import type { Client } from "../../control/client/client.ts";
import { NamespaceController } from "../../control/controllers/namespace.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { createPod, startControllerApi, until } from "../_support/controller_api.ts";

async function namespaceOf(client: Client, name: string): Promise<Namespace | null> {
  try {
    return await client.resource(NAMESPACES).get(name);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function withController(
  fn: (client: Client) => Promise<void>,
): Promise<void> {
  await using api = await startControllerApi();
  const logger = new RecordingLogger();
  const informers = new SharedInformerFactory(api.client, { clock: systemClock, logger });
  // A short deletion grace period and finalizer estimate keep the test quick; the flow is the
  // one a cluster runs.
  const controller = new NamespaceController(
    { client: api.client, informers, clock: systemClock, logger },
    { deletionGracePeriodMs: 100, finalizerEstimateSeconds: 1 },
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  try {
    await fn(api.client);
  } finally {
    stop.abort();
    await running;
    await informers.shutdown();
  }
}

Deno.test("deleting a namespace removes its configmaps, secrets, pods and deployments, then the namespace", async () => {
  await withController(async (client) => {
    await client.resource(NAMESPACES).create({ metadata: { name: "shop" } });
    await client.resource(CONFIG_MAPS).create({
      metadata: { namespace: "shop", name: "settings" },
      data: { currency: "EUR" },
    });
    await client.resource(SECRETS).create({
      metadata: { namespace: "shop", name: "db" },
      stringData: { password: "hunter2" },
    });
    await client.resource(DEPLOYMENTS).create({
      metadata: { namespace: "shop", name: "cart" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "cart" } },
        template: {
          metadata: { labels: { app: "cart" } },
          spec: { containers: [{ name: "cart", image: "busybox" }] },
        },
      },
    });
    for (const name of ["cart-a", "cart-b"]) {
      await createPod(client, { namespace: "shop", name, labels: { app: "cart" } });
    }

    await client.resource(NAMESPACES).delete("shop");
    const terminating = await namespaceOf(client, "shop");
    assert.equal(terminating?.status?.phase, "Terminating");

    await until(async () => (await namespaceOf(client, "shop")) === null, {
      what: "namespace shop to disappear",
    });
    const resources: ApiResource[] = [CONFIG_MAPS, SECRETS, PODS, DEPLOYMENTS];
    for (const resource of resources) {
      const left = await client.resource(resource).list({ namespace: "shop" });
      assert.equal(left.items.length, 0, `${resource.resource} left`);
    }
  });
});

Deno.test("a pod's finalizer keeps its namespace Terminating with NamespaceContentRemaining until it is removed", async () => {
  await withController(async (client) => {
    await client.resource(NAMESPACES).create({ metadata: { name: "held" } });
    await createPod(client, {
      namespace: "held",
      name: "guarded",
      finalizers: ["example.com/backup"],
      terminationGracePeriodSeconds: 0,
    });
    await client.resource(CONFIG_MAPS).create({
      metadata: { namespace: "held", name: "settings" },
      data: {},
    });

    await client.resource(NAMESPACES).delete("held");
    await until(async () => {
      const ns = await namespaceOf(client, "held");
      return ns?.status?.conditions?.some((c) =>
        c.type === "NamespaceContentRemaining" && c.status === "True"
      ) ?? false;
    }, { what: "NamespaceContentRemaining" });

    const ns = await namespaceOf(client, "held");
    assert.equal(ns?.status?.phase, "Terminating");
    const byType = new Map(ns?.status?.conditions?.map((c) => [c.type, c]));
    assert.equal(
      byType.get("NamespaceContentRemaining")?.message,
      "Some resources are remaining: pods. has 1 resource instances",
    );
    assert.equal(byType.get("NamespaceContentRemaining")?.reason, "SomeResourcesRemain");
    assert.equal(
      byType.get("NamespaceFinalizersRemaining")?.message,
      "Some finalizers are remaining: example.com/backup in 1 resource instances",
    );
    // Everything else is gone already; the pod waits, marked for deletion.
    assert.equal((await client.resource(CONFIG_MAPS).list({ namespace: "held" })).items.length, 0);
    const pod = await client.resource(PODS).get("guarded", { namespace: "held" });
    assert.ok(pod.metadata?.deletionTimestamp);

    // Still held a while later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.notEqual(await namespaceOf(client, "held"), null);

    await client.resource(PODS).patch("guarded", {
      namespace: "held",
      type: "merge",
      body: { metadata: { finalizers: null } },
    });
    await until(async () => (await namespaceOf(client, "held")) === null, {
      what: "namespace held to disappear",
    });
  });
});
