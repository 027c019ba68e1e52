/**
 * A real two-node skiff cluster for network tests, as root: each "host" is a network
 * namespace with its own skiff process and containerd inside it — `skiff server` with its
 * agent on node A, `skiff agent` on node B — joined over one shared veth link, or through a
 * router netns (two subnets). The test drives the server with the real kubectl over a veth
 * link from the host namespace. Nothing leaves the namespaces the test creates.
 *
 * @example
 * ```ts ignore
 * await using c = await startTwoNodeCluster({ routed: true });
 * await c.cluster.runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-a", { node: "node-a" })));
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { NODES } from "../../control/client/resources.ts";
import { type E2eCluster, e2eCluster } from "./e2e_cluster.ts";
import { inNetns, must, NetnsSet } from "./netns.ts";
import { startTestAgent, type TestAgent } from "./skiff_agent.ts";
import { startTestServer, type TestServer } from "./skiff_server.ts";

/** skiff's busybox image, which the agents build and import themselves. */
export const TEST_IMAGE = "docker.io/skiff/busybox:1.36";

/** The two hosts' namespaces and addresses. */
export interface Topology {
  readonly a: string;
  readonly b: string;
  readonly aIp: string;
  readonly bIp: string;
  /** The router's netns, when the hosts are on two subnets. */
  readonly router?: string;
}

/** Hosts A and B on one shared link, 10.<octet>.1.0/24, each with its default route on it. */
export async function sharedLink(net: NetnsSet, octet: number): Promise<Topology> {
  const a = await net.add("a");
  const b = await net.add("b");
  const aIp = `10.${octet}.1.1`;
  const bIp = `10.${octet}.1.2`;
  const ends = await net.link(a, b, { a: `${aIp}/24`, b: `${bIp}/24` });
  // Real nodes have a default route: without one, traffic to an address no rule rewrites
  // (a Service without endpoints) fails routing before any firewall chain sees it.
  await must(["ip", "-n", a, "route", "add", "default", "dev", ends.a]);
  await must(["ip", "-n", b, "route", "add", "default", "dev", ends.b]);
  return { a, b, aIp, bIp };
}

/** Hosts A (10.<octet>.1.0/24) and B (10.<octet>.2.0/24) routed through a router netns. */
export async function routedLink(net: NetnsSet, octet: number): Promise<Topology> {
  const a = await net.add("a");
  const router = await net.add("r");
  const b = await net.add("b");
  const aIp = `10.${octet}.1.1`;
  const bIp = `10.${octet}.2.2`;
  await net.link(a, router, { a: `${aIp}/24`, b: `10.${octet}.1.254/24` });
  await net.link(b, router, { a: `${bIp}/24`, b: `10.${octet}.2.254/24` });
  await must(["ip", "-n", a, "route", "add", "default", "via", `10.${octet}.1.254`]);
  await must(["ip", "-n", b, "route", "add", "default", "via", `10.${octet}.2.254`]);
  return { a, b, aIp, bIp, router };
}

/** `skiff token create`, run in the server's netns (it talks to the API at 127.0.0.1). */
export async function joinToken(server: TestServer, netns: string): Promise<string> {
  const mod = fileURLToPath(new URL("../../mod.ts", import.meta.url));
  const out = await must(
    inNetns(netns, [
      Deno.execPath(),
      "run",
      "-A",
      mod,
      "token",
      "create",
      "--data-dir",
      server.dataDir,
    ]),
  );
  return out.trim();
}

/** Options of {@linkcode webPod}. */
export interface WebPodOptions {
  /** The node the pod is bound to (`spec.nodeName`). */
  readonly node: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly port?: number;
}

/**
 * A busybox httpd pod bound to `options.node` (by `nodeName`: all netns share one hostname, so
 * a hostname selector cannot tell the nodes apart), answering `hello from <pod>` on port 8080
 * (port name `http`), Ready once it answers.
 */
export function webPod(name: string, options: WebPodOptions): Pod {
  const port = options.port ?? 8080;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: options.namespace ?? "default",
      labels: { app: "net", ...options.labels },
    },
    spec: {
      nodeName: options.node,
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: "httpd",
        image: TEST_IMAGE,
        imagePullPolicy: "Never",
        command: [
          "sh",
          "-c",
          `mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p ${port} -h /www`,
        ],
        ports: [{ name: "http", containerPort: port }],
        readinessProbe: { httpGet: { path: "/", port }, periodSeconds: 1 },
      }],
    },
  };
}

/** Options of {@linkcode startTwoNodeCluster}. */
export interface TwoNodeClusterOptions {
  /** `--flannel-backend`. @default {"vxlan"} */
  readonly backend?: "vxlan" | "host-gw";
  /** Hosts on two subnets through a router (else one shared link). @default {false} */
  readonly routed?: boolean;
  /** More flags for both nodes. */
  readonly args?: readonly string[];
}

/** A started two-node cluster; disposing it stops both nodes and removes the namespaces. */
export interface TwoNodeCluster extends AsyncDisposable {
  readonly topology: Topology;
  readonly server: TestServer;
  readonly agent: TestAgent;
  /** kubectl and a typed client on the server, as an admin. */
  readonly cluster: E2eCluster;
  /** The cluster's pod CIDR. */
  readonly clusterCidr: string;
}

/**
 * Starts node A (`skiff server` with its agent) and node B (`skiff agent`) and waits for both
 * to be Ready with a pod CIDR.
 */
export async function startTwoNodeCluster(
  options: TwoNodeClusterOptions = {},
): Promise<TwoNodeCluster> {
  const octet = 200 + Math.floor(Math.random() * 50);
  const net = new NetnsSet("skcn");
  const stack = new AsyncDisposableStack();
  // Disposed last: after both processes stopped and their leftovers are gone.
  stack.use(net);
  try {
    const topology = await (options.routed ? routedLink : sharedLink)(net, octet);
    const clusterCidr = `10.${100 + Math.floor(Math.random() * 100)}.0.0/16`;
    const args = [
      "--cluster-cidr",
      clusterCidr,
      ...(options.backend && options.backend !== "vxlan"
        ? ["--flannel-backend", options.backend]
        : []),
      ...(options.args ?? []),
    ];
    const server = stack.use(
      await startTestServer({
        agent: true,
        netns: topology.a,
        nodeIp: topology.aIp,
        args: ["--node-name", "node-a", ...args],
        readyTimeoutMs: 90_000,
      }),
    );
    const agent = stack.use(
      await startTestAgent({
        server: `https://${topology.aIp}:${server.port}`,
        token: await joinToken(server, topology.a),
        nodeName: "node-b",
        netns: topology.b,
        nodeIp: topology.bIp,
        args,
      }),
    );
    const cluster = stack.use(e2eCluster(server, { waitMs: 120_000 }));
    for (const name of ["node-a", "node-b"]) {
      await cluster.eventually(
        `${name} to be Ready\nagent log:\n${agent.logTail(20)}`,
        async () => {
          const node = await cluster.client.resource(NODES).get(name).catch(() => undefined);
          return (node?.spec?.podCIDR ?? "") !== "" &&
            (node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
              false);
        },
      );
    }
    const moved = stack.move();
    return {
      topology,
      server,
      agent,
      cluster,
      clusterCidr,
      [Symbol.asyncDispose]: () => moved.disposeAsync(),
    };
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}
