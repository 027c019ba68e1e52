/**
 * The agent's kubelet API (`node/server`) in front of a real containerd (as root, in a temp
 * dir of its own): a host-network busybox pod made with the node/pods builders from skiff's
 * own images, its log read and followed through `/containerLogs`, an exec and a
 * port-forward over WebSocket (`v4.channel.k8s.io`, from Deno's WebSocket client) and a SPDY
 * upgrade proxied raw to containerd's streaming server, and requests without credentials
 * (401) or rights (403).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { join } from "node:path";
import tls from "node:tls";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import { CriClient } from "../../node/cri/client.ts";
import { buildSkiffImages } from "../../node/images/build_skiff_images.ts";
import { ImageImporter } from "../../node/images/importer.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../../node/images/skiff_images.ts";
import { containerLogPath, generateContainerConfig } from "../../node/pods/container_config.ts";
import { podLogsDirectory, runPodSandboxRequest } from "../../node/pods/sandbox_config.ts";
import { podCgroupParent } from "../../node/pods/sandbox_config.ts";
import { FakeReviews, makeTestCa } from "../../node/server/_test_support.ts";
import { clusterCaVerifier, KubeletAuth } from "../../node/server/kubelet_auth.ts";
import { KubeletHandler } from "../../node/server/kubelet_handler.ts";
import { startKubeletServer } from "../../node/server/kubelet_server.ts";
import { startContainerd } from "../_support/containerd_process.ts";
import { until } from "../_support/until.ts";

const decoder = new TextDecoder();

/** An HTTPS request on a fresh TLS connection; resolves with everything read until `done`. */
async function exchange(
  port: number,
  options: { head: string; done: RegExp; cert?: { certPem: string; keyPem: string } },
): Promise<string> {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    rejectUnauthorized: false,
    ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (options.done.test(text)) resolve(text);
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(text));
      socket.once("secureConnect", () => socket.write(options.head));
    });
  } finally {
    socket.destroy();
  }
}

/** Removes the pod's cgroup directories in every hierarchy (containerd leaves them). */
async function removePodCgroups(parent: string): Promise<void> {
  const roots = ["/sys/fs/cgroup"];
  for await (const entry of Deno.readDir("/sys/fs/cgroup")) {
    if (entry.isDirectory) roots.push(join("/sys/fs/cgroup", entry.name));
  }
  for (const root of roots) {
    await Deno.remove(join(root, parent)).catch(() => {});
  }
}

/** The WebSocket client, run by a Deno trusting the test CA; prints what it received. */
const WS_CLIENT = `
const [url, token] = Deno.args;
const ws = new WebSocket(url, { protocols: ["v4.channel.k8s.io"], headers: { authorization: "Bearer " + token } });
ws.binaryType = "arraybuffer";
const channels = {};
ws.onmessage = (e) => {
  const bytes = new Uint8Array(e.data);
  if (bytes.length === 0) return;
  channels[bytes[0]] = (channels[bytes[0]] ?? "") + new TextDecoder().decode(bytes.subarray(1));
};
ws.onerror = (e) => console.error("error", e.message);
ws.onclose = (e) => console.log(JSON.stringify({ protocol: ws.protocol, code: e.code, channels }));
`;

/** The WebSocket port-forward client: one port, an HTTP GET on its data channel. */
const WS_PORT_FORWARD_CLIENT = `
const [url, token] = Deno.args;
const ws = new WebSocket(url, { protocols: ["v4.channel.k8s.io"], headers: { authorization: "Bearer " + token } });
ws.binaryType = "arraybuffer";
let data = "";
const heads = {};
ws.onmessage = (e) => {
  const bytes = new Uint8Array(e.data);
  const channel = bytes[0];
  if (heads[channel] === undefined) {
    heads[channel] = bytes[1] | (bytes[2] << 8);
    if (channel === 1) {
      ws.send(new Uint8Array([0, ...new TextEncoder().encode("GET /index.html HTTP/1.0\\r\\n\\r\\n")]));
    }
    return;
  }
  if (channel === 0) data += new TextDecoder().decode(bytes.subarray(1));
  if (data.includes("hello-pf")) ws.close();
};
ws.onerror = (e) => console.error("error", e.message);
ws.onclose = () => console.log(JSON.stringify({ protocol: ws.protocol, heads, data }));
`;

/** The port busybox httpd listens on in the host-network pod. */
const HTTPD_PORT = 20000 + Math.floor(Math.random() * 20000);

Deno.test("the kubelet API serves logs and proxies exec to a real containerd", async (t) => {
  if (Deno.uid() !== 0) {
    throw new Error("Cannot run the kubelet API e2e test: it needs root to run containerd");
  }
  await using containerd = await startContainerd({ sandboxImage: PAUSE_IMAGE });
  using cri = new CriClient({ endpoint: containerd.endpoint, timeoutMs: 30_000 });
  const work = await Deno.makeTempDir({ prefix: "skiff-kubelet-api-e2e-" });
  const logger = new RecordingLogger();
  const uid = crypto.randomUUID();
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", uid },
    spec: {
      hostNetwork: true,
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      nodeName: "edge-1",
      containers: [{
        name: "app",
        image: BUSYBOX_IMAGE,
        command: ["sh", "-c"],
        args: [
          `mkdir -p /tmp/www && echo hello-pf > /tmp/www/index.html && ` +
          `httpd -p 127.0.0.1:${HTTPD_PORT} -h /tmp/www && ` +
          "echo one; echo two >&2; i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.3; done",
        ],
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
      }],
    },
    status: { phase: "Running", qosClass: "BestEffort" },
  } as Pod;
  const cgroupParent = podCgroupParent(pod);
  let sandboxId = "";
  let containerId = "";
  const ca = await makeTestCa(work);
  const serving = await ca.serving();
  const apiClient = await ca.client("kube-apiserver-kubelet-client", ["system:masters"]);
  const reviews = new FakeReviews();
  reviews.tokens.set("admin-token", { username: "admin", groups: ["system:masters"] });
  reviews.tokens.set("viewer-token", { username: "viewer", groups: ["system:authenticated"] });
  let server: Awaited<ReturnType<typeof startKubeletServer>> | undefined;
  const logPath = join(work, "pods", podLogsDirectory(pod, ""), containerLogPath("app", 0));
  async function step(name: string, fn: () => Promise<void>): Promise<void> {
    if (!await t.step(name, fn)) throw new Error(`Step "${name}" failed`);
  }
  try {
    await cri.waitForReady({ timeoutMs: 10_000 });
    await step("skiff's images are built and imported", async () => {
      const images = join(work, "images");
      await buildSkiffImages({ outDir: images });
      const importer = new ImageImporter(
        { runner: new DenoCommandRunner(), logger, clock: systemClock },
        { dir: images, socketPath: containerd.socketPath },
      );
      const summary = await importer.importAll();
      assert.deepEqual([...summary.imported].sort(), ["busybox.tar", "pause.tar"]);
    });

    await step("a host-network busybox pod runs", async () => {
      const request = runPodSandboxRequest(pod, {
        nodeHostname: "edge-1",
        resolvConf: null,
        nodeIps: ["127.0.0.1"],
        podLogsRoot: join(work, "pods"),
      });
      // runc refuses a hostname without a private UTS namespace: the kubelet sends none for
      // host-network pods (node/pods sets the node's; reported to its owner).
      const sandboxConfig = { ...request.config!, hostname: "" };
      sandboxId = (await cri.runPodSandbox({ ...request, config: sandboxConfig })).podSandboxId;
      const image = await cri.imageStatus({ image: { image: BUSYBOX_IMAGE } });
      assert.ok(image.image, `${BUSYBOX_IMAGE} is imported`);
      const config = await generateContainerConfig({
        pod,
        container: pod.spec!.containers[0]!,
        restartCount: 0,
        imageRef: image.image.id,
        volumes: [],
        configMaps: { getConfigMap: () => Promise.resolve(undefined) },
        secrets: { getSecret: () => Promise.resolve(undefined) },
        nodeAllocatable: { cpu: "2", memory: "2Gi" },
        memoryCapacityBytes: 2n ** 31n,
        podIps: ["127.0.0.1"],
        hostIps: ["127.0.0.1"],
      });
      containerId = (await cri.createContainer({ podSandboxId: sandboxId, config, sandboxConfig }))
        .containerId;
      await cri.startContainer({ containerId });
      await until(async () => (await Deno.readTextFile(logPath).catch(() => "")).includes("tick"), {
        what: "the container's first ticks in its log",
        timeoutMs: 15_000,
      });
    });

    const handler = new KubeletHandler({
      pods: {
        runningPods: () => [{ pod, sandboxId }],
        findContainer: (ns, name, container, { previous }) =>
          ns === "default" && name === "web" && container === "app" && !previous
            ? { podUid: uid, containerId, logPath, sandboxId }
            : undefined,
      },
      runtime: cri,
      auth: new KubeletAuth({
        nodeName: "edge-1",
        reviews,
        clock: systemClock,
        verifyClientCertificate: clusterCaVerifier(ca.certPem),
      }),
      clock: systemClock,
      logger,
    });
    server = await startKubeletServer({
      handler,
      port: 0,
      hostname: "127.0.0.1",
      certPem: serving.certPem,
      keyPem: serving.keyPem,
      logger,
    });
    const port = server.port;

    await step("/containerLogs returns the container's lines", async () => {
      const answer = await exchange(port, {
        head: "GET /containerLogs/default/web/app?tailLines=100 HTTP/1.1\r\nHost: edge-1\r\n" +
          "Connection: close\r\n\r\n",
        done: /\r\n0\r\n\r\n$/,
        cert: apiClient,
      });
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(answer, /one\n/);
      assert.match(answer, /two\n/);
      assert.match(answer, /tick 1\n/);
      const timestamps = await exchange(port, {
        head: "GET /containerLogs/default/web/app?timestamps=true&limitBytes=200 HTTP/1.1\r\n" +
          "Host: edge-1\r\nAuthorization: Bearer admin-token\r\nConnection: close\r\n\r\n",
        done: /\r\n0\r\n\r\n$/,
      });
      assert.match(timestamps, /\r\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);
    });

    await step("/containerLogs?follow streams lines written after the request", async () => {
      const current = (await Deno.readTextFile(logPath)).match(/tick (\d+)\n(?![\s\S]*tick)/);
      const last = Number(current?.[1] ?? "0");
      const answer = await exchange(port, {
        head: "GET /containerLogs/default/web/app?follow=true&tailLines=0 HTTP/1.1\r\n" +
          "Host: edge-1\r\n\r\n",
        done: new RegExp(`tick ${last + 3}\\n`),
        cert: apiClient,
      });
      assert.match(answer, /transfer-encoding: chunked\r\n/);
      assert.match(answer, new RegExp(`tick ${last + 2}\\n`));
    });

    await step("requests without credentials get 401, without rights 403", async () => {
      const anonymous = await exchange(port, {
        head: "GET /containerLogs/default/web/app HTTP/1.1\r\nHost: edge-1\r\n\r\n",
        done: /Unauthorized$/,
      });
      assert.match(anonymous, /^HTTP\/1\.1 401 Unauthorized\r\n/);
      const viewer = await exchange(port, {
        head: "POST /exec/default/web/app?command=ls&output=1 HTTP/1.1\r\nHost: edge-1\r\n" +
          "Authorization: Bearer viewer-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n",
        done: /\)$/,
      });
      assert.match(viewer, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.match(
        viewer,
        /\r\n\r\nForbidden \(user=viewer, verb=create, resource=nodes, subresource\(s\)=\[proxy\]\)$/,
      );
    });

    await step("a SPDY exec upgrade is answered by containerd", async () => {
      const answer = await exchange(port, {
        head: "POST /exec/default/web/app?command=true&output=1 HTTP/1.1\r\nHost: edge-1\r\n" +
          "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
          "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n" +
          "X-Stream-Protocol-Version: channel.k8s.io\r\nContent-Length: 0\r\n\r\n",
        done: /\r\n\r\n/,
        cert: apiClient,
      });
      assert.match(answer, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(answer, /\r\nX-Stream-Protocol-Version: v4\.channel\.k8s\.io\r\n/i);
      assert.match(answer, /\r\nUpgrade: SPDY\/3\.1\r\n/i);
    });

    await step("a WebSocket v4 exec gets stdout, stderr and the exit status", async () => {
      const caFile = join(work, "ca.crt");
      await Deno.writeTextFile(caFile, ca.certPem);
      const script = join(work, "ws_client.ts");
      await Deno.writeTextFile(script, WS_CLIENT);
      const command = ["sh", "-c", "echo exec says hi; echo exec err >&2; exit 3"]
        .map((c) => `command=${encodeURIComponent(c)}`).join("&");
      const url = `wss://127.0.0.1:${port}/exec/default/web/app?${command}&output=1&error=1`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--cert", caFile, script, url, "admin-token"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, decoder.decode(out.stderr));
      const result = JSON.parse(decoder.decode(out.stdout));
      assert.equal(result.protocol, "v4.channel.k8s.io");
      assert.equal(result.code, 1000);
      assert.equal(result.channels["1"], "exec says hi\n");
      assert.equal(result.channels["2"], "exec err\n");
      const status = JSON.parse(result.channels["3"]);
      assert.equal(status.status, "Failure");
      assert.equal(status.reason, "NonZeroExitCode");
      assert.deepEqual(status.details.causes, [{ reason: "ExitCode", message: "3" }]);
    });

    await step("a WebSocket port-forward reaches a port in the pod", async () => {
      const caFile = join(work, "ca.crt");
      await Deno.writeTextFile(caFile, ca.certPem);
      const script = join(work, "ws_port_forward.ts");
      await Deno.writeTextFile(script, WS_PORT_FORWARD_CLIENT);
      const url = `wss://127.0.0.1:${port}/portForward/default/web?port=${HTTPD_PORT}`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--cert", caFile, script, url, "admin-token"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, decoder.decode(out.stderr));
      const result = JSON.parse(decoder.decode(out.stdout));
      assert.equal(result.protocol, "v4.channel.k8s.io");
      assert.deepEqual(result.heads, { "0": HTTPD_PORT, "1": HTTPD_PORT });
      assert.match(result.data, /^HTTP\/1\.[01] 200 OK\r\n/);
      assert.match(result.data, /hello-pf\n$/);
    });
  } finally {
    await server?.close();
    if (containerId) {
      await cri.stopContainer({ containerId, timeout: 0 }).catch(() => {});
      await cri.removeContainer({ containerId }).catch(() => {});
    }
    if (sandboxId) {
      await cri.stopPodSandbox({ podSandboxId: sandboxId }).catch(() => {});
      await cri.removePodSandbox({ podSandboxId: sandboxId }).catch(() => {});
    }
    await removePodCgroups(cgroupParent);
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
});
