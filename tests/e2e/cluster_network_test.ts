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
import { NODES, PODS } from "../../control/client/resources.ts";
import { inNetns, must } from "../_support/netns.ts";
import { startTwoNodeCluster, webPod } from "../_support/two_node_cluster.ts";

const PORT = 8080;

async function podsReachEachOther(
  t: Deno.TestContext,
  o: {
    backend: "host-gw" | "vxlan";
    routed: boolean;
  },
): Promise<void> {
  await using c = await startTwoNodeCluster({ backend: o.backend, routed: o.routed });
  const { a, bIp } = c.topology;
  const { agent, cluster } = c;
  const { client, runOk, eventually } = cluster;

  const pods = client.resource(PODS);
  const ipOf = async (name: string) =>
    (await pods.get(name, { namespace: "default" })).status?.podIP ?? "";
  await t.step("a web pod runs on each node", async () => {
    await runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-a", { node: "node-a" })));
    await runOk(["apply", "-f", "-"], JSON.stringify(webPod("web-b", { node: "node-b" })));
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
  await podsReachEachOther(t, { backend: "host-gw", routed: false });
});

Deno.test("pods on two nodes reach each other through a router over the VXLAN overlay", async (t) => {
  await podsReachEachOther(t, { backend: "vxlan", routed: true });
});
