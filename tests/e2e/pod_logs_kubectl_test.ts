/**
 * `kubectl logs` end to end without containers: the API app with the `pods/log` hook over
 * HTTPS, and the agent's kubelet API (`node/server`) reading CRI log files, reached through
 * the node's InternalIP and kubelet port with the API server's kubelet client certificate.
 * Covers tail, since, timestamps, previous, `deploy/x`, follow (new lines stream, the
 * container's exit ends it) and a kubelet error as kubectl prints it, with the oldest and the
 * newest kubectl.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestApp } from "../../control/api/_test_app.ts";
import { createTestPki, startTestHttps } from "../../control/api/_test_https.ts";
import { PodLogHook, podLogReaders } from "../../control/api/pod_logs.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { FakeReviews } from "../../node/server/_test_support.ts";
import { clusterCaVerifier, KubeletAuth } from "../../node/server/kubelet_auth.ts";
import { KubeletHandler, type KubeletRuntime } from "../../node/server/kubelet_handler.ts";
import { startKubeletServer } from "../../node/server/kubelet_server.ts";
import { Kubectl } from "../_support/kubectl.ts";

/** A CRI log line written `agoMs` before now. */
function criLine(agoMs: number, stream: string, text: string): string {
  return `${new Date(Date.now() - agoMs).toISOString()} ${stream} F ${text}\n`;
}

Deno.test("kubectl logs reads a pod's container log through the API and the kubelet API", async (t) => {
  await using pki = await createTestPki();
  const work = await Deno.makeTempDir({ prefix: "skiff-pod-logs-e2e-" });
  const current = join(work, "1.log");
  const previous = join(work, "0.log");
  await Deno.writeTextFile(
    current,
    criLine(2 * 3600_000, "stdout", "one") + criLine(1800_000, "stderr", "two") +
      criLine(60_000, "stdout", "three"),
  );
  await Deno.writeTextFile(previous, criLine(3 * 3600_000, "stdout", "before the crash"));
  let running = true;
  const runtime: KubeletRuntime = {
    exec: () => Promise.reject(new Error("not used")),
    attach: () => Promise.reject(new Error("not used")),
    portForward: () => Promise.reject(new Error("not used")),
    containerStatus: () =>
      Promise.resolve({
        status: { state: running ? "CONTAINER_RUNNING" : "CONTAINER_EXITED" },
      } as unknown as Awaited<ReturnType<KubeletRuntime["containerStatus"]>>),
  };
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-7d4f8", namespace: "default", labels: { app: "web" } },
    spec: {
      nodeName: "n1",
      containers: [{ name: "app", image: "busybox" }, { name: "side", image: "busybox" }],
    },
  } as Pod;
  const logger = new RecordingLogger();
  const kubeletPods: Pod[] = [];
  const handler = new KubeletHandler({
    pods: {
      runningPods: () => kubeletPods.map((p) => ({ pod: p, sandboxId: "s1" })),
      findContainer: (ns, name, container, options) =>
        ns === "default" && name === "web-7d4f8" && container === "app"
          ? {
            podUid: "u1",
            containerId: options.previous ? "c0" : "c1",
            logPath: options.previous ? previous : current,
            sandboxId: "s1",
          }
          : undefined,
    },
    runtime,
    auth: new KubeletAuth({
      nodeName: "n1",
      reviews: new FakeReviews(),
      clock: systemClock,
      verifyClientCertificate: clusterCaVerifier(pki.ca.certPem),
    }),
    clock: systemClock,
    logger,
    followCheckMs: 200,
  });
  await using kubelet = await startKubeletServer({
    handler,
    port: 0,
    hostname: "127.0.0.1",
    certPem: pki.serving.certPem,
    keyPem: pki.serving.keyPem,
    logger,
  });
  await using api = await createTestApp({
    extensions: (parts) => ({
      subresources: [
        new PodLogHook({
          ...podLogReaders(parts.views),
          credentials: () => ({
            certPem: pki.kubeletClient.certPem,
            keyPem: pki.kubeletClient.keyPem,
          }),
          logger: parts.logger,
        }),
      ],
    }),
  });
  await using https = await startTestHttps(api.app, pki);
  try {
    const created = [
      await api.json("POST", "/api/v1/nodes", {
        body: { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } },
      }),
      await api.json("PUT", "/api/v1/nodes/n1/status", {
        body: {
          apiVersion: "v1",
          kind: "Node",
          metadata: { name: "n1" },
          status: {
            addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
            daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
          },
        },
      }),
      await api.json("POST", "/apis/apps/v1/namespaces/default/deployments", {
        body: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web" },
          spec: {
            selector: { matchLabels: { app: "web" } },
            template: {
              metadata: { labels: { app: "web" } },
              spec: { containers: [{ name: "app", image: "busybox" }] },
            },
          },
        },
      }),
      await api.json("POST", "/api/v1/namespaces/default/pods", { body: pod }),
    ];
    for (const res of created) assert.ok(res.status < 300, JSON.stringify(res.body));
    kubeletPods.push({
      ...pod,
      status: {
        containerStatuses: [{
          name: "side",
          image: "busybox",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ContainerCreating" } },
        }],
      },
    } as Pod);
    const kubeconfig = join(work, "kubeconfig");
    await Deno.writeTextFile(kubeconfig, https.kubeconfig);

    for (const version of ["1.27", "1.33"] as const) {
      const kubectl = new Kubectl(version, { kubeconfig, homeDir: join(work, version) });
      const logs = async (args: string[]) => {
        const res = await kubectl.run(["logs", ...args]);
        assert.equal(res.code, 0, res.stderr);
        return res.stdout;
      };
      await t.step(
        `kubectl ${version} logs: all, --tail, --since, --timestamps, --previous`,
        async () => {
          assert.equal(await logs(["web-7d4f8", "-c", "app"]), "one\ntwo\nthree\n");
          assert.equal(await logs(["web-7d4f8", "-c", "app", "--tail=1"]), "three\n");
          assert.equal(await logs(["web-7d4f8", "-c", "app", "--since=1h"]), "two\nthree\n");
          const sinceTime = new Date(Date.now() - 2 * 60_000).toISOString();
          assert.equal(
            await logs(["web-7d4f8", "-c", "app", `--since-time=${sinceTime}`]),
            "three\n",
          );
          assert.match(
            await logs(["web-7d4f8", "-c", "app", "--timestamps", "--tail=1"]),
            /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/,
          );
          assert.equal(await logs(["web-7d4f8", "-c", "app", "--previous"]), "before the crash\n");
          assert.equal(await logs(["web-7d4f8", "-c", "app", "--limit-bytes=6"]), "one\ntw");
        },
      );
      await t.step(`kubectl ${version} logs deploy/web defaults the container`, async () => {
        const res = await kubectl.run(["logs", "deploy/web", "--tail=2"]);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, "two\nthree\n");
      });
      await t.step(
        `kubectl ${version} logs of a waiting container prints the kubelet's error`,
        async () => {
          const res = await kubectl.run(["logs", "web-7d4f8", "-c", "side"]);
          assert.equal(res.code, 1);
          assert.equal(
            res.stderr.trim(),
            'Error from server (BadRequest): container "side" in pod "web-7d4f8" is waiting to start: ContainerCreating',
          );
        },
      );
    }

    await t.step("kubectl logs -f streams new lines until the container exits", async () => {
      running = true;
      const kubectl = new Kubectl("1.33", { kubeconfig, homeDir: join(work, "follow") });
      await using follow = await kubectl.spawn([
        "logs",
        "-f",
        "web-7d4f8",
        "-c",
        "app",
        "--tail=1",
      ]);
      await follow.waitForOutput(/^three\n$/);
      await Deno.writeTextFile(current, criLine(0, "stdout", "four"), { append: true });
      await follow.waitForOutput(/^three\nfour\n$/);
      running = false;
      const done = await follow.finished(20_000);
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.stdout, "three\nfour\n");
    });
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
