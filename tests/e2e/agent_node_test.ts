/**
 * The node agent end to end, as root with real containerd: `skiff server` registers its own
 * node (control-plane label, runtime version, skiff's images), and `skiff agent` joins another
 * one with a join token, keeps its credential, rejoins without the token, and is refused when
 * the CA or the node name is not its own.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HttpsTransport } from "../../control/client/transport.ts";
import { Client } from "../../control/client/client.ts";
import { LEASES, NODES } from "../../control/client/resources.ts";
import { systemConfigDeps } from "../../control/config.ts";
import { runTokenCommand } from "../../control/token_command.ts";
import { BufferWriter, systemClock } from "../../control/util/mod.ts";
import type { Node } from "../../control/api/types/core_v1_node.ts";
import { startTestServer, type TestServer } from "../_support/skiff_server.ts";
import { startTestAgent } from "../_support/skiff_agent.ts";
import { until } from "../_support/until.ts";

async function adminClient(server: TestServer): Promise<{ client: Client } & Disposable> {
  const transport = HttpsTransport.fromKubeconfig(await Deno.readTextFile(server.kubeconfig));
  return {
    client: new Client(transport),
    [Symbol.dispose]: () => transport[Symbol.dispose](),
  };
}

async function joinToken(server: TestServer): Promise<string> {
  const stdout = new BufferWriter();
  const stderr = new BufferWriter();
  const code = await runTokenCommand(["create", "--data-dir", server.dataDir], {
    stdout,
    stderr,
    clock: systemClock,
    config: systemConfigDeps(),
  });
  assert.equal(code, 0, stderr.text());
  return stdout.text().trim();
}

async function nodeNamed(client: Client, name: string): Promise<Node | undefined> {
  try {
    return await client.resource(NODES).get(name);
  } catch {
    return undefined;
  }
}

function readyCondition(node: Node | undefined) {
  return node?.status?.conditions?.find((c) => c.type === "Ready");
}

Deno.test("skiff server runs its node agent: the node registers with its runtime and images", async () => {
  await using server = await startTestServer({
    agent: true,
    args: ["--node-name", "server-node", "--cluster-cidr", "10.151.0.0/16"],
  });
  using admin = await adminClient(server);
  let node: Node | undefined;
  await until(async () => {
    node = await nodeNamed(admin.client, "server-node");
    return node?.metadata?.labels?.["node-role.kubernetes.io/control-plane"] === "true" &&
      (node.status?.images ?? []).some((i) => i.names?.includes("docker.io/skiff/pause:3.9"));
  }, { timeoutMs: 60_000, intervalMs: 200, what: `the server's node\n${server.logTail()}` });
  assert.match(node!.status?.nodeInfo?.containerRuntimeVersion ?? "", /^containerd:\/\/1\.6\./);
  assert.equal(node!.status?.nodeInfo?.kubeletVersion, "v1.33.0");
  assert.equal(node!.metadata?.labels?.["kubernetes.io/hostname"] !== undefined, true);
  // nodeipam gives the node a pod CIDR; the agent's conflist makes containerd's network ready.
  await until(async () => {
    node = await nodeNamed(admin.client, "server-node");
    return readyCondition(node)?.status === "True";
  }, { timeoutMs: 60_000, intervalMs: 200, what: `the node to be Ready\n${server.logTail()}` });
  assert.equal(node!.spec?.podCIDR, "10.151.0.0/24");
  const conflist = JSON.parse(
    await Deno.readTextFile(join(server.dataDir, "agent", "cni", "net.d", "10-skiff.conflist")),
  );
  assert.equal(conflist.plugins[0].type, "skiff");
  const lease = await admin.client.resource(LEASES).get("server-node", {
    namespace: "kube-node-lease",
  });
  assert.equal(lease.spec?.holderIdentity, "server-node");
  assert.equal(lease.metadata?.ownerReferences?.[0]?.name, "server-node");
  // The agent's containerd and images live under the data dir.
  assert.ok((await Deno.stat(join(server.dataDir, "agent", "images", "pause.tar"))).isFile);
  assert.ok(await Deno.stat(join(server.dataDir, "run", "containerd", "containerd.sock")));
});

Deno.test("skiff agent joins with a join token, keeps its credential and rejoins without it", async (t) => {
  // Its own pod network: agents of other tests on this machine share the bridge.
  const cidr = ["--cluster-cidr", "10.153.0.0/16"];
  await using server = await startTestServer({ args: cidr });
  using admin = await adminClient(server);
  const token = await joinToken(server);
  const agent = await startTestAgent({ server: server.url, token, nodeName: "edge-1", args: cidr });
  try {
    await t.step("the node registers, not as a control-plane node", async () => {
      await until(async () => (await nodeNamed(admin.client, "edge-1")) !== undefined, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `node edge-1 to register\n${agent.logTail()}`,
      });
      const node = await nodeNamed(admin.client, "edge-1");
      assert.equal(node?.metadata?.labels?.["node-role.kubernetes.io/control-plane"], undefined);
      await until(
        () =>
          admin.client.resource(LEASES).get("edge-1", { namespace: "kube-node-lease" }).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 30_000, intervalMs: 200, what: `the node's Lease\n${agent.logTail()}` },
      );
      assert.equal(node?.metadata?.labels?.["kubernetes.io/os"], "linux");
    });
    await t.step("its credential is private, and the CA is kept beside it", async () => {
      const credential = await Deno.stat(join(agent.dataDir, "agent", "credential"));
      assert.equal((credential.mode ?? 0) & 0o777, 0o600);
      assert.match(
        await Deno.readTextFile(join(agent.dataDir, "agent", "credential")),
        /^skiff-node:edge-1:/,
      );
      assert.match(
        await Deno.readTextFile(join(agent.dataDir, "agent", "tls", "ca.crt")),
        /BEGIN CERTIFICATE/,
      );
    });
    await t.step("a restart without the token reuses the credential", async () => {
      await agent.halt();
      const before = (await admin.client.resource(LEASES).get("edge-1", {
        namespace: "kube-node-lease",
      })).spec?.renewTime;
      const again = await startTestAgent({
        server: server.url,
        nodeName: "edge-1",
        dataDir: agent.dataDir,
        args: cidr,
      });
      try {
        await until(async () => {
          const lease = await admin.client.resource(LEASES).get("edge-1", {
            namespace: "kube-node-lease",
          });
          return lease.spec?.renewTime !== before;
        }, { timeoutMs: 60_000, intervalMs: 200, what: `a renewed lease\n${again.logTail()}` });
      } finally {
        await again.halt();
      }
    });
  } finally {
    await agent.stop();
  }

  await t.step("another machine cannot take the node's name with a join token", async () => {
    await using thief = await startTestAgent({ server: server.url, token, nodeName: "edge-1" });
    assert.equal(await thief.exited, 1);
    assert.match(thief.logTail(), /already has a credential for it; delete Secret/);
  });
  await t.step("a join token naming another CA is refused before anything is sent", async () => {
    const forged = token.replace(/^K10[0-9a-f]{4}/, "K100000");
    await using agent = await startTestAgent({
      server: server.url,
      token: forged,
      nodeName: "edge-2",
    });
    assert.equal(await agent.exited, 1);
    assert.match(agent.logTail(), /is not the one the join token names/);
    assert.equal(await nodeNamed(admin.client, "edge-2"), undefined);
  });
});
