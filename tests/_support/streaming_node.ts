/**
 * A node for streaming tests (as root): a throwaway containerd with skiff's images, a
 * host-network busybox pod built with the node/pods builders — its container keeps stdin
 * open, echoes each line it reads as `got: <line>`, and serves `hello-from-httpd` with
 * busybox httpd on a loopback port — and the agent's kubelet API (`node/server`) in front of
 * it, trusting the test PKI's CA (the API server's kubelet client certificate is a cluster
 * admin). Disposal stops and removes all of it.
 *
 * @example
 * ```ts ignore
 * await using node = await startStreamingNode();
 * const { url } = await node.cri.exec({ containerId: node.containerId, cmd: ["true"], stdout: true });
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { createTestPki, type TestPki } from "../../control/api/_test_https.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { DenoCommandRunner } from "../../node/containerd/command_runner.ts";
import { CriClient } from "../../node/cri/client.ts";
import { buildSkiffImages } from "../../node/images/build_skiff_images.ts";
import { ImageImporter } from "../../node/images/importer.ts";
import { BUSYBOX_IMAGE, PAUSE_IMAGE } from "../../node/images/skiff_images.ts";
import { containerLogPath, generateContainerConfig } from "../../node/pods/container_config.ts";
import {
  podCgroupParent,
  podLogsDirectory,
  runPodSandboxRequest,
} from "../../node/pods/sandbox_config.ts";
import { clusterCaVerifier, KubeletAuth } from "../../node/server/kubelet_auth.ts";
import { KubeletHandler } from "../../node/server/kubelet_handler.ts";
import { type KubeletServer, startKubeletServer } from "../../node/server/kubelet_server.ts";
import { type ContainerdProcess, startContainerd } from "./containerd_process.ts";
import { until } from "./until.ts";

/** The node's name. */
export const STREAMING_NODE_NAME = "edge-1";

/** What {@linkcode startStreamingNode} runs. */
export interface StreamingNode extends AsyncDisposable {
  readonly containerd: ContainerdProcess;
  readonly cri: CriClient;
  /** The cluster PKI: its `kubeletClient` is what the API server dials kubelets with. */
  readonly pki: TestPki;
  /** `default/shell`, Running on {@linkcode STREAMING_NODE_NAME}, one container `main`. */
  readonly pod: Pod;
  /** The node, with 127.0.0.1 and the kubelet API's port. */
  readonly node: Node;
  readonly sandboxId: string;
  readonly containerId: string;
  /** The kubelet API's port on 127.0.0.1. */
  readonly kubeletPort: number;
  /** busybox httpd's port on 127.0.0.1 (the pod shares the host's network). */
  readonly httpdPort: number;
  readonly logger: RecordingLogger;
  /** The last lines of containerd's log, for failure messages. */
  logTail(): Promise<string>;
}

async function removePodCgroups(parent: string): Promise<void> {
  const roots = ["/sys/fs/cgroup"];
  for await (const entry of Deno.readDir("/sys/fs/cgroup")) {
    if (entry.isDirectory) roots.push(join("/sys/fs/cgroup", entry.name));
  }
  for (const root of roots) await Deno.remove(join(root, parent)).catch(() => {});
}

/** Options of {@linkcode startStreamingNode}. */
export interface StreamingNodeOptions {
  /**
   * The CA whose client certificates the kubelet API accepts (a real server's cluster CA).
   * @default {the node's own test PKI's}
   */
  readonly clientCaPem?: string;
}

/** Starts containerd, the pod and the kubelet API (see the module doc). Needs root. */
export async function startStreamingNode(
  options: StreamingNodeOptions = {},
): Promise<StreamingNode> {
  if (Deno.uid() !== 0) throw new Error("Cannot start a streaming node: it needs root");
  const containerd = await startContainerd({ sandboxImage: PAUSE_IMAGE });
  const cri = new CriClient({ endpoint: containerd.endpoint, timeoutMs: 30_000 });
  const work = await Deno.makeTempDir({ prefix: "skiff-streaming-node-" });
  const logger = new RecordingLogger();
  const pki = await createTestPki();
  const httpdPort = 20000 + Math.floor(Math.random() * 20000);
  const uid = crypto.randomUUID();
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "shell", namespace: "default", uid },
    spec: {
      hostNetwork: true,
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      nodeName: STREAMING_NODE_NAME,
      containers: [{
        name: "main",
        image: BUSYBOX_IMAGE,
        command: ["sh", "-c"],
        args: [
          "mkdir -p /tmp/www && echo hello-from-httpd > /tmp/www/index.html && " +
          `httpd -p 127.0.0.1:${httpdPort} -h /tmp/www && ` +
          "while read line; do echo got: $line; done; sleep 3600",
        ],
        stdin: true,
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
      }],
    },
    status: { phase: "Running", qosClass: "BestEffort", podIP: "127.0.0.1" },
  } as Pod;
  const cgroupParent = podCgroupParent(pod);
  let sandboxId = "";
  let containerId = "";
  let server: KubeletServer | undefined;
  const cleanup = async () => {
    await server?.close();
    if (containerId) {
      await cri.stopContainer({ containerId, timeout: 0 }).catch(() => {});
      await cri.removeContainer({ containerId }).catch(() => {});
    }
    if (sandboxId) {
      await cri.stopPodSandbox({ podSandboxId: sandboxId }).catch(() => {});
      await cri.removePodSandbox({ podSandboxId: sandboxId }).catch(() => {});
    }
    cri.close();
    await containerd.stop();
    await removePodCgroups(cgroupParent);
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await pki[Symbol.asyncDispose]();
  };
  try {
    await cri.waitForReady({ timeoutMs: 10_000 });
    const images = join(work, "images");
    await buildSkiffImages({ outDir: images });
    await new ImageImporter(
      { runner: new DenoCommandRunner(), logger, clock: systemClock },
      { dir: images, socketPath: containerd.socketPath },
    ).importAll();
    const podLogsRoot = join(work, "pods");
    const request = runPodSandboxRequest(pod, {
      nodeHostname: STREAMING_NODE_NAME,
      resolvConf: null,
      nodeIps: ["127.0.0.1"],
      podLogsRoot,
    });
    // runc refuses a hostname without a private UTS namespace (host network).
    const sandboxConfig = { ...request.config!, hostname: "" };
    sandboxId = (await cri.runPodSandbox({ ...request, config: sandboxConfig })).podSandboxId;
    const image = await cri.imageStatus({ image: { image: BUSYBOX_IMAGE } });
    if (!image.image) throw new Error(`Cannot start a streaming node: ${BUSYBOX_IMAGE} is missing`);
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
    const logPath = join(podLogsRoot, podLogsDirectory(pod, ""), containerLogPath("main", 0));
    await until(async () => {
      const res = await fetch(`http://127.0.0.1:${httpdPort}/`).catch(() => null);
      const body = await res?.text();
      return body === "hello-from-httpd\n";
    }, { what: "busybox httpd in the pod", timeoutMs: 15_000, intervalMs: 50 });
    const handler = new KubeletHandler({
      pods: {
        runningPods: () => [{ pod, sandboxId }],
        findContainer: (ns, name, container, { previous }) =>
          ns === "default" && name === "shell" && container === "main" && !previous
            ? { podUid: uid, containerId, logPath, sandboxId }
            : undefined,
      },
      runtime: cri,
      auth: new KubeletAuth({
        nodeName: STREAMING_NODE_NAME,
        // Only certificates are used here: the API server's is a cluster admin.
        reviews: {
          reviewToken: () => Promise.resolve({ authenticated: false }),
          reviewAccess: (user) => Promise.resolve(user.groups.includes("system:masters")),
        },
        clock: systemClock,
        verifyClientCertificate: clusterCaVerifier(options.clientCaPem ?? pki.ca.certPem),
      }),
      clock: systemClock,
      logger,
    });
    server = await startKubeletServer({
      handler,
      port: 0,
      hostname: "127.0.0.1",
      certPem: pki.serving.certPem,
      keyPem: pki.serving.keyPem,
      logger,
    });
    const kubeletPort = server.port;
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: STREAMING_NODE_NAME },
      status: {
        addresses: [{ type: "InternalIP", address: "127.0.0.1" }, {
          type: "Hostname",
          address: STREAMING_NODE_NAME,
        }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
      },
    } as Node;
    return {
      containerd,
      cri,
      pki,
      pod,
      node,
      sandboxId,
      containerId,
      kubeletPort,
      httpdPort,
      logger,
      logTail: () => containerd.logTail(30),
      [Symbol.asyncDispose]: cleanup,
    };
  } catch (err) {
    const tail = await containerd.logTail(30).catch(() => "");
    await cleanup().catch(() => {});
    throw new Error(`Cannot start a streaming node; containerd's log ends:\n${tail}`, {
      cause: err,
    });
  }
}
