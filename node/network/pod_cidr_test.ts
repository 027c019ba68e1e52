import assert from "node:assert/strict";
import { NODES } from "../../control/client/resources.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { createNode, startControllerApi } from "../../tests/_support/controller_api.ts";
import { podCidrOf, waitForPodCidr } from "./pod_cidr.ts";

Deno.test("podCidrOf() takes podCIDRs[0], else podCIDR", () => {
  assert.equal(
    podCidrOf({ spec: { podCIDR: "10.42.1.0/24", podCIDRs: ["10.42.2.0/24"] } }),
    "10.42.2.0/24",
  );
  assert.equal(podCidrOf({ spec: { podCIDR: "10.42.1.0/24" } }), "10.42.1.0/24");
  assert.equal(podCidrOf({ spec: { podCIDR: "" } }), undefined);
});

Deno.test("waitForPodCidr() resolves once the node gets its pod CIDR", async () => {
  await using api = await startControllerApi();
  await createNode(api.client, { name: "edge-1" });
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const waiting = waitForPodCidr({
    client: api.client,
    nodeName: "edge-1",
    clock: systemClock,
    logger,
    signal: stop.signal,
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await api.client.resource(NODES).patch("edge-1", {
    type: "strategic",
    body: { spec: { podCIDR: "10.42.4.0/24", podCIDRs: ["10.42.4.0/24"] } },
  });
  assert.equal(await waiting, "10.42.4.0/24");
  assert.ok(logger.records.some((r) => r.msg === "Waiting for the node's pod CIDR"));
  stop.abort();
  // Already set: at once.
  assert.equal(
    await waitForPodCidr({
      client: api.client,
      nodeName: "edge-1",
      clock: systemClock,
      logger,
      signal: new AbortController().signal,
    }),
    "10.42.4.0/24",
  );
});

Deno.test("waitForPodCidr() waits for a node not registered yet and stops when aborted", async () => {
  await using api = await startControllerApi();
  const stop = new AbortController();
  const waiting = waitForPodCidr({
    client: api.client,
    nodeName: "edge-2",
    clock: systemClock,
    logger: new RecordingLogger(),
    signal: stop.signal,
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  stop.abort(new Error("stopped"));
  await assert.rejects(waiting, /stopped/);
});
