/**
 * Pods on a real one-node cluster: `skiff server` with its agent, as root, with real
 * containerd, skiff's CNI plugin and skiff's busybox image, driven by the real kubectl. A
 * Deployment of 3 httpd replicas reaches Ready and serves on its pod IPs; an init container
 * gates its pod; a failing liveness probe restarts a container with growing back-off; a
 * ConfigMap update reaches the mounted file; `kubectl logs -f` follows; and an agent restart
 * adopts running containers instead of restarting them.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "default";
const IMAGE = "docker.io/skiff/busybox:1.36";

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return await res.text();
}

Deno.test("skiff server runs real pods: Deployments, probes, init containers, volumes, logs, adoption", async (t) => {
  await using server = await startTestServer({
    agent: true,
    args: ["--node-name", "pods-node", "--cluster-cidr", "10.152.0.0/16"],
    readyTimeoutMs: 90_000,
  });
  using cluster = e2eCluster(server, { waitMs: 90_000 });
  const { client, runOk, eventually } = cluster;
  const pods = client.resource(PODS);
  const podsOf = async (selector: string) =>
    (await pods.list({ namespace: NS, labelSelector: selector })).items as Pod[];
  const ready = (pod: Pod) =>
    pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

  await eventually("the node to be Ready", async () => {
    const node = await client.resource(NODES).get("pods-node").catch(() => undefined);
    return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
      false;
  });

  await t.step(
    "a Deployment of 3 httpd replicas reaches Ready and serves on its pod IPs",
    async () => {
      await runOk(
        ["apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web", namespace: NS },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: "web" } },
            template: {
              metadata: { labels: { app: "web" } },
              spec: {
                containers: [{
                  name: "httpd",
                  image: IMAGE,
                  imagePullPolicy: "Never",
                  command: [
                    "sh",
                    "-c",
                    'mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p 8080 -h /www',
                  ],
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
                }],
              },
            },
          },
        }),
      );
      const out = await runOk(["rollout", "status", "deployment/web", "--timeout=90s"]);
      assert.match(out, /successfully rolled out/);
      const running = await podsOf("app=web");
      assert.equal(running.length, 3);
      const ips = new Set(running.map((p) => p.status?.podIP));
      assert.equal(ips.size, 3, "each pod has its own IP");
      for (const pod of running) {
        assert.ok(ready(pod));
        assert.match(pod.status?.podIP ?? "", /^10\.152\.0\.\d+$/);
        assert.equal(pod.status?.qosClass, "BestEffort");
        assert.equal(pod.status?.containerStatuses?.[0]?.ready, true);
        assert.match(pod.status?.containerStatuses?.[0]?.containerID ?? "", /^containerd:\/\//);
        assert.equal(
          (await fetchText(`http://${pod.status?.podIP}:8080/`)).trim(),
          `hello from ${pod.metadata?.name}`,
        );
      }
      const wide = await runOk(["get", "pods", "-l", "app=web", "-o", "wide"]);
      assert.match(wide, /1\/1\s+Running\s+0/);
    },
  );

  await t.step("an init container runs to completion before the app container starts", async () => {
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "gated", namespace: NS },
        spec: {
          initContainers: [{
            name: "setup",
            image: IMAGE,
            imagePullPolicy: "Never",
            command: ["sh", "-c", "sleep 2; echo prepared > /work/state"],
            volumeMounts: [{ name: "work", mountPath: "/work" }],
          }],
          containers: [{
            name: "app",
            image: IMAGE,
            imagePullPolicy: "Never",
            command: ["sh", "-c", "cat /work/state; exec sleep 3600"],
            volumeMounts: [{ name: "work", mountPath: "/work" }],
          }],
          volumes: [{ name: "work", emptyDir: {} }],
        },
      }),
    );
    const pending = await pods.get("gated", { namespace: NS });
    assert.notEqual(pending.status?.phase, "Running");
    await eventually(
      "the gated pod to run",
      async () => (await pods.get("gated", { namespace: NS })).status?.phase === "Running",
    );
    const pod = await pods.get("gated", { namespace: NS });
    assert.equal(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, "Completed");
    assert.equal(
      (await runOk(["logs", "gated", "-c", "app"])).trim(),
      "prepared",
      "the app saw what the init container wrote",
    );
  });

  await t.step(
    "a failing liveness probe restarts the container with growing back-off",
    async () => {
      await runOk(
        ["apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "unhealthy", namespace: NS },
          spec: {
            // `sleep` as PID 1 ignores SIGTERM: each kill waits out the grace period.
            terminationGracePeriodSeconds: 1,
            containers: [{
              name: "app",
              image: IMAGE,
              imagePullPolicy: "Never",
              command: ["sleep", "3600"],
              livenessProbe: {
                exec: { command: ["test", "-e", "/nonexistent"] },
                periodSeconds: 1,
                failureThreshold: 1,
              },
            }],
          },
        }),
      );
      await eventually("two restarts", async () => {
        const status = (await pods.get("unhealthy", { namespace: NS })).status;
        return (status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2;
      });
      const events = await runOk([
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=unhealthy",
        "-o",
        'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
      ]);
      assert.match(events, /Unhealthy/);
      assert.match(events, /Killing/);
      await eventually("CrashLoopBackOff or a back-off event", async () => {
        const text = await runOk(["describe", "pod", "unhealthy"]);
        return /BackOff|CrashLoopBackOff/.test(text);
      });
      await runOk(["delete", "pod", "unhealthy", "--grace-period=1"]);
    },
  );

  await t.step("a ConfigMap update reaches the mounted file", async () => {
    await runOk(["create", "configmap", "settings", "--from-literal=greeting=hello"]);
    await runOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "reader", namespace: NS },
        spec: {
          containers: [{
            name: "app",
            image: IMAGE,
            imagePullPolicy: "Never",
            command: ["sleep", "3600"],
            volumeMounts: [{ name: "cfg", mountPath: "/etc/cfg" }],
          }],
          volumes: [{ name: "cfg", configMap: { name: "settings" } }],
        },
      }),
    );
    await runOk(["wait", "--for=condition=Ready", "pod/reader", "--timeout=60s"]);
    const read = async () => {
      const r = await cluster.run(["exec", "reader", "--", "cat", "/etc/cfg/greeting"]);
      return r.code === 0 ? r.stdout : `exec failed: ${r.stderr}`;
    };
    // Until kubectl exec reaches the node, read the file from the node's pod directory.
    const onNode = async () => {
      const pod = await pods.get("reader", { namespace: NS });
      const dir =
        `${server.dataDir}/agent/pods/${pod.metadata?.uid}/volumes/kubernetes.io~configmap/cfg`;
      return await Deno.readTextFile(`${dir}/greeting`).catch(() => "");
    };
    const current = async () => {
      const viaExec = await read();
      return viaExec.startsWith("exec failed") ? await onNode() : viaExec;
    };
    assert.equal(await current(), "hello");
    await runOk([
      "create",
      "configmap",
      "settings",
      "--from-literal=greeting=bonjour",
      "--dry-run=client",
      "-o",
      "yaml",
    ])
      .then((yaml) => runOk(["replace", "-f", "-"], yaml));
    await eventually("the new value in the pod", async () => (await current()) === "bonjour");
  });

  await t.step("kubectl logs -f follows a container", async () => {
    await runOk([
      "run",
      "ticker",
      `--image=${IMAGE}`,
      "--image-pull-policy=Never",
      "--",
      "sh",
      "-c",
      "for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 1; done; sleep 3600",
    ]);
    await runOk(["wait", "--for=condition=Ready", "pod/ticker", "--timeout=60s"]);
    await using follow = await cluster.kubectl.spawn(["logs", "-f", "ticker"]);
    await follow.waitForOutput(/tick 6/, 30_000);
    assert.match(follow.stdout, /tick 1\n(?:.*\n)*tick 6/);
  });

  await t.step(
    "a restarted agent adopts running containers instead of restarting them",
    async () => {
      const before = await podsOf("app=web");
      const ids = new Map(
        before.map((p) => [p.metadata?.name, p.status?.containerStatuses?.[0]?.containerID]),
      );
      await server.halt();
      // The containers keep serving while the agent (and the API) are down.
      for (const pod of before) {
        assert.match(await fetchText(`http://${pod.status?.podIP}:8080/`), /hello from/);
      }
      await server.restart();
      await eventually("the pods to be reported again", async () => {
        const after = await podsOf("app=web");
        return after.length === 3 && after.every((p) => ready(p));
      });
      // Give the agent a few relists to (wrongly) restart anything.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      for (const pod of await podsOf("app=web")) {
        const status = pod.status?.containerStatuses?.[0];
        assert.equal(status?.containerID, ids.get(pod.metadata?.name), "the same container");
        assert.equal(status?.restartCount, 0);
      }
    },
  );

  await t.step(
    "after a crash (SIGKILL) the restarted agent replaces its containerd and adopts",
    async () => {
      const before = await podsOf("app=web");
      const ids = new Map(
        before.map((p) => [p.metadata?.name, p.status?.containerStatuses?.[0]?.containerID]),
      );
      await server.crash();
      for (const pod of before) {
        assert.match(await fetchText(`http://${pod.status?.podIP}:8080/`), /hello from/);
      }
      await server.restart();
      await eventually("the pods to be reported after the crash", async () => {
        const after = await podsOf("app=web");
        return after.length === 3 && after.every((p) => ready(p));
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      for (const pod of await podsOf("app=web")) {
        const status = pod.status?.containerStatuses?.[0];
        assert.equal(status?.containerID, ids.get(pod.metadata?.name), "the same container");
        assert.equal(status?.restartCount, 0);
        assert.match(await fetchText(`http://${pod.status?.podIP}:8080/`), /hello from/);
      }
    },
  );
});
