import assert from "node:assert/strict";
import { CONFIG_MAPS } from "../../control/client/resources.ts";
import type { Transport } from "../../control/client/transport.ts";
import type { ControllerContext } from "../../control/controllers/controller_manager.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { startControllerApi, until } from "./controller_api.ts";
import { startTestManager } from "./test_manager.ts";

Deno.test("startTestManager() runs the controllers asked for until stopped", async () => {
  await using api = await startControllerApi();
  const paths: string[] = [];
  const recording: Transport = {
    request: (method, path, options) => {
      paths.push(path);
      return api.transport.request(method, path, options);
    },
  };
  const contexts: ControllerContext[] = [];
  const signals: AbortSignal[] = [];
  const logger = new RecordingLogger();
  const manager = startTestManager(recording, {
    logger,
    controllers: ["probe"],
    registry: [
      {
        name: "probe",
        factory: (context) => {
          contexts.push(context);
          return {
            run: async (signal) => {
              await context.client.resource(CONFIG_MAPS).create({
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { namespace: "default", name: "probe" },
              });
              signals.push(signal);
              await new Promise((resolve) => signal.addEventListener("abort", resolve));
            },
          };
        },
      },
      { name: "other", factory: () => assert.fail("not enabled") },
    ],
  });
  await until(() => signals.length === 1, { what: "the probe to run" });
  assert.equal(contexts.length, 1);
  assert.equal(signals[0]!.aborted, false);
  // No leader election: the manager neither reads nor writes a Lease.
  assert.ok(!paths.some((p) => p.includes("/leases")), paths.join(" "));
  // The controllers write as kube-controller-manager.
  const create = paths.find((p) => p.startsWith("/api/v1/namespaces/default/configmaps?"));
  assert.equal(
    new URL(create!, "https://x").searchParams.get("fieldManager"),
    "kube-controller-manager",
  );
  await manager.stop();
  assert.equal(signals[0]!.aborted, true);
  await manager.stop();
  await manager[Symbol.asyncDispose]();
  assert.ok(logger.records.length > 0, "it logs to the logger given");
});
