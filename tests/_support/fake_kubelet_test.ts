import assert from "node:assert/strict";
import { NODES, PODS } from "../../control/client/resources.ts";
import { createPod, startControllerApi, until } from "./controller_api.ts";
import { FakeKubelet } from "./fake_kubelet.ts";

Deno.test("FakeKubelet registers its nodes, binds and readies pods, and finishes deletions", async () => {
  await using api = await startControllerApi();
  await using kubelet = await FakeKubelet.start({
    client: api.client,
    nodes: ["node-1", "node-2"],
    bindUnscheduled: true,
  });
  const nodes = (await api.client.resource(NODES).list()).items;
  assert.deepEqual(nodes.map((n) => n.metadata?.name).sort(), ["node-1", "node-2"]);
  assert.equal(nodes[0]?.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");

  const pods = api.client.resource(PODS);
  await createPod(api.client, { namespace: "default", name: "a", labels: { app: "x" } });
  await createPod(api.client, { namespace: "default", name: "b", labels: { app: "x" } });
  await until(async () => {
    const items = (await pods.list({ namespace: "default" })).items;
    return items.length === 2 && items.every((p) =>
      p.status?.phase === "Running" &&
      p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")
    );
  }, { what: "two running, ready pods" });
  const a = await pods.get("a", { namespace: "default" });
  const b = await pods.get("b", { namespace: "default" });
  // Round-robin over the nodes.
  assert.deepEqual([a.spec?.nodeName, b.spec?.nodeName].sort(), ["node-1", "node-2"]);
  assert.match(a.status?.podIP ?? "", /^10\.42\.[01]\.\d+$/);
  assert.equal(a.status?.containerStatuses?.[0]?.ready, true);

  kubelet.setReady("default/a", false);
  await until(async () => {
    const pod = await pods.get("a", { namespace: "default" });
    return pod.status?.conditions?.find((c) => c.type === "Ready")?.status === "False";
  }, { what: "pod a unready" });

  kubelet.binding = false;
  await createPod(api.client, { namespace: "default", name: "c", labels: { app: "x" } });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal((await pods.get("c", { namespace: "default" })).spec?.nodeName, undefined);

  // A graceful delete of a pod on a node: the kubelet removes it for good.
  await pods.delete("b", { namespace: "default" });
  await until(
    async () =>
      !(await pods.list({ namespace: "default" })).items.some((p) => p.metadata?.name === "b"),
    { what: "pod b gone" },
  );
});

Deno.test("FakeKubelet ends pods by its finish rule or when told, with container exit codes", async () => {
  await using api = await startControllerApi();
  await using kubelet = await FakeKubelet.start({
    client: api.client,
    nodes: ["node-1"],
    bindUnscheduled: true,
    finish: (pod) =>
      pod.metadata?.labels?.app === "ok"
        ? { phase: "Succeeded" }
        : pod.metadata?.labels?.app === "bad"
        ? { phase: "Failed", exitCode: 3, afterMs: 50 }
        : undefined,
  });
  const pods = api.client.resource(PODS);
  await createPod(api.client, { namespace: "default", name: "ok", labels: { app: "ok" } });
  await createPod(api.client, { namespace: "default", name: "bad", labels: { app: "bad" } });
  await createPod(api.client, { namespace: "default", name: "runs", labels: { app: "x" } });
  await until(async () => {
    const ok = await pods.get("ok", { namespace: "default" });
    const bad = await pods.get("bad", { namespace: "default" });
    return ok.status?.phase === "Succeeded" && bad.status?.phase === "Failed";
  }, { what: "ok Succeeded and bad Failed" });
  const bad = await pods.get("bad", { namespace: "default" });
  const terminated = bad.status?.containerStatuses?.[0]?.state?.terminated;
  assert.equal(terminated?.exitCode, 3);
  assert.equal(terminated?.reason, "Error");
  assert.equal(bad.status?.conditions?.find((c) => c.type === "Ready")?.status, "False");
  const ok = await pods.get("ok", { namespace: "default" });
  assert.equal(ok.status?.containerStatuses?.[0]?.state?.terminated?.reason, "Completed");
  assert.equal((await pods.get("runs", { namespace: "default" })).status?.phase, "Running");

  kubelet.finishPod("default/runs", { phase: "Succeeded" });
  await until(
    async () => (await pods.get("runs", { namespace: "default" })).status?.phase === "Succeeded",
    {
      what: "runs Succeeded",
    },
  );
});
