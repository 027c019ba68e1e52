/**
 * Pod traffic between nodes on a real two-node cluster, as root: each "host" is a network
 * namespace with its own skiff process and containerd inside it — `skiff server` with its
 * agent in netns A, `skiff agent` in netns B — and the test drives the server with the real
 * kubectl over a veth link from the host namespace. Twice: over a shared veth link with
 * `--flannel-backend=host-gw` (direct routes), and through a router netns (two subnets) with
 * the default VXLAN overlay. Each time a busybox httpd pod runs on each node, each pod fetches
 * the other's page by pod IP, and once node B is deleted node A holds no route (nor VXLAN
 * forwarding entry) to B's pods. Nothing leaves the namespaces the test creates.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { inNetns, must, NetnsSet } from "../_support/netns.ts";
import { startTestAgent } from "../_support/skiff_agent.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";

const IMAGE = "docker.io/skiff/busybox:1.36";
const PORT = 8080;

/** `skiff token create`, run in the server's netns (it talks to the API at 127.0.0.1). */
async function joinToken(server: TestServer, netns: string): Promise<string> {
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

/** A busybox httpd pod bound to `nodeName`, answering `hello from <pod>`. */
function webPod(name: string, nodeName: string): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "net" } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: "httpd",
        image: IMAGE,
        imagePullPolicy: "Never",
        command: [
          "sh",
          "-c",
          `mkdir -p /www && echo "hello from $HOSTNAME" > /www/index.html && exec httpd -f -p ${PORT} -h /www`,
        ],
        ports: [{ containerPort: PORT }],
        readinessProbe: { httpGet: { path: "/", port: PORT }, periodSeconds: 1 },
      }],
    },
  };
}

/** The two hosts' namespaces and addresses: on one shared link, or through a router. */
interface Topology {
  readonly a: string;
  readonly b: string;
  readonly aIp: string;
  readonly bIp: string;
}

async function sharedLink(net: NetnsSet, octet: number): Promise<Topology> {
  const a = await net.add("a");
  const b = await net.add("b");
  const aIp = `10.${octet}.1.1`;
  const bIp = `10.${octet}.1.2`;
  await net.link(a, b, { a: `${aIp}/24`, b: `${bIp}/24` });
  return { a, b, aIp, bIp };
}

async function routedLink(net: NetnsSet, octet: number): Promise<Topology> {
  const a = await net.add("a");
  const router = await net.add("r");
  const b = await net.add("b");
  const aIp = `10.${octet}.1.1`;
  const bIp = `10.${octet}.2.2`;
  await net.link(a, router, { a: `${aIp}/24`, b: `10.${octet}.1.254/24` });
  await net.link(b, router, { a: `${bIp}/24`, b: `10.${octet}.2.254/24` });
  await must(["ip", "-n", a, "route", "add", "default", "via", `10.${octet}.1.254`]);
  await must(["ip", "-n", b, "route", "add", "default", "via", `10.${octet}.2.254`]);
  return { a, b, aIp, bIp };
}

async function podsReachEachOther(
  t: Deno.TestContext,
  o: {
    backend: "host-gw" | "vxlan";
    topology: (net: NetnsSet, octet: number) => Promise<Topology>;
  },
): Promise<void> {
  const octet = 200 + Math.floor(Math.random() * 50);
  // Disposed last: after both processes stopped and their leftovers are gone.
  await using net = new NetnsSet("skcn");
  const { a, b, aIp, bIp } = await o.topology(net, octet);
  const clusterCidr = `10.${100 + Math.floor(Math.random() * 100)}.0.0/16`;
  const backendArgs = o.backend === "vxlan" ? [] : ["--flannel-backend", o.backend];
  await using server = await startTestServer({
    agent: true,
    netns: a,
    nodeIp: aIp,
    args: ["--node-name", "node-a", "--cluster-cidr", clusterCidr, ...backendArgs],
    readyTimeoutMs: 90_000,
  });
  using cluster = e2eCluster(server, { waitMs: 120_000 });
  const { client, runOk, eventually } = cluster;
  await using agent = await startTestAgent({
    server: `https://${aIp}:${server.port}`,
    token: await joinToken(server, a),
    nodeName: "node-b",
    netns: b,
    nodeIp: bIp,
    args: ["--cluster-cidr", clusterCidr, ...backendArgs],
  });

  await t.step("both nodes are Ready with a pod CIDR each", async () => {
    for (const name of ["node-a", "node-b"]) {
      await eventually(`${name} to be Ready\nagent log:\n${agent.logTail(20)}`, async () => {
        const node = await client.resource(NODES).get(name).catch(() => undefined);
        return (node?.spec?.podCIDR ?? "") !== "" &&
          (node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
            false);
      });
    }
  });

  const pods = client.resource(PODS);
  const ipOf = async (name: string) =>
    (await pods.get(name, { namespace: "default" })).status?.podIP ?? "";
  await t.step("a web pod runs on each node", async () => {
    await runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-a", "node-a")));
    await runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-b", "node-b")));
    await runOk(["wait", "--for=condition=Ready", "pod/web-a", "pod/web-b", "--timeout=120s"]);
    const podCidrOf = async (node: string) =>
      (await client.resource(NODES).get(node)).spec?.podCIDR ?? "";
    const prefix = (cidr: string) => cidr.split(".").slice(0, 3).join(".") + ".";
    assert.ok((await ipOf("web-a")).startsWith(prefix(await podCidrOf("node-a"))));
    assert.ok((await ipOf("web-b")).startsWith(prefix(await podCidrOf("node-b"))));
    // The links are 1500 bytes: VXLAN's headers take 50 of them.
    const mtu = await runOk(["exec", "web-b", "--", "cat", "/sys/class/net/eth0/mtu"]);
    assert.equal(mtu.trim(), o.backend === "vxlan" ? "1450" : "1500");
  });

  await t.step(`each pod reaches the other's pod IP (${o.backend})`, async () => {
    for (const [from, to] of [["web-a", "web-b"], ["web-b", "web-a"]] as const) {
      const url = `http://${await ipOf(to)}:${PORT}/`;
      let last = "";
      // `timeout`, not `wget -T`: busybox 1.35's wget crashes (SIGSEGV) with -T.
      await eventually(`${from} to fetch ${url}`, async () => {
        const r = await cluster.run(["exec", from, "--", "timeout", "5", "wget", "-qO-", url]);
        last = `${r.code}: ${r.stdout}${r.stderr}`;
        return r.code === 0;
      }).catch((err) => {
        throw new Error(`${err.message}; last try: ${last}\nagent log:\n${agent.logTail(30)}`);
      });
      const r = await cluster.run(["exec", from, "--", "timeout", "5", "wget", "-qO-", url]);
      assert.equal(r.stdout.trim(), `hello from ${to}`);
    }
  });

  await t.step("node B deleted: node A holds no route to its pods", async () => {
    const podCidrB = (await client.resource(NODES).get("node-b")).spec?.podCIDR ?? "";
    const routesOnA = () => must(inNetns(a, ["ip", "-j", "route", "show", "proto", "73"]));
    assert.match(await routesOnA(), new RegExp(podCidrB.replace(/\./g, "\\.")));
    if (o.backend === "vxlan") {
      const fdb = await must(inNetns(a, ["bridge", "-j", "fdb", "show", "dev", "skiff.vxlan"]));
      assert.ok(fdb.includes(`"${bIp}"`), `a forwarding entry to ${bIp}: ${fdb}`);
    }
    // Stop B's agent first, or it would register its Node again.
    await agent.halt();
    await runOk(["delete", "node", "node-b"]);
    await eventually("B's route (and VXLAN entries) to go from A", async () => {
      const routes = await routesOnA();
      const fdb = await must(inNetns(a, ["bridge", "-j", "fdb", "show", "dev", "skiff.vxlan"]))
        .catch(() => "[]");
      return !routes.includes(podCidrB) && !fdb.includes(`"${bIp}"`);
    });
  });
}

Deno.test("pods on two nodes reach each other over a shared link with host-gw routes", async (t) => {
  await podsReachEachOther(t, { backend: "host-gw", topology: sharedLink });
});

Deno.test("pods on two nodes reach each other through a router over the VXLAN overlay", async (t) => {
  await podsReachEachOther(t, { backend: "vxlan", topology: routedLink });
});
