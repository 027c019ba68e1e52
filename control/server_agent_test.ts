import assert from "node:assert/strict";
import { agentOptionsFor, type NodeAgentSettings, nodeUser } from "./server_agent.ts";
import { KUBERNETES_VERSION } from "./version.ts";

const SETTINGS: NodeAgentSettings = {
  nodeName: "edge-1",
  dataDir: "/var/lib/skiff",
  clusterCidr: "10.52.0.0/16",
  serviceCidr: "10.53.0.0/16",
  clusterDns: "10.53.0.10",
  clusterDomain: "edge.local",
  kubeletPort: 10250,
  containerRuntimeEndpoint: null,
  nodeIPs: [],
  flannelBackend: "vxlan",
  disableKubeProxy: false,
  disableNetworkPolicy: false,
  disableDns: false,
};

Deno.test("agentOptionsFor() hands the network settings to the agent", async (t) => {
  await t.step("defaults", () => {
    const options = agentOptionsFor(SETTINGS, "CA");
    assert.equal(options.nodeName, "edge-1");
    assert.equal(options.kubeletVersion, KUBERNETES_VERSION.gitVersion);
    assert.equal(options.clusterCaPem, "CA");
    assert.equal(options.clusterCidr, "10.52.0.0/16");
    assert.equal(options.serviceCidr, "10.53.0.0/16");
    assert.deepEqual(options.clusterDns, ["10.53.0.10"]);
    assert.equal(options.clusterDomain, "edge.local");
    assert.equal(options.flannelBackend, "vxlan");
    assert.equal(options.disableKubeProxy, false);
    assert.equal(options.disableNetworkPolicy, false);
    assert.equal(options.disableDns, false);
    assert.equal("containerRuntimeEndpoint" in options, false);
    assert.equal("nodeIPs" in options, false);
  });
  await t.step("everything turned off", () => {
    const options = agentOptionsFor({
      ...SETTINGS,
      flannelBackend: "none",
      disableKubeProxy: true,
      disableNetworkPolicy: true,
      disableDns: true,
      containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
      nodeIPs: ["192.168.1.10"],
    }, "CA");
    assert.equal(options.flannelBackend, "none");
    assert.equal(options.disableKubeProxy, true);
    assert.equal(options.disableNetworkPolicy, true);
    assert.equal(options.disableDns, true);
    assert.equal(options.containerRuntimeEndpoint, "unix:///run/containerd/containerd.sock");
    assert.deepEqual(options.nodeIPs, ["192.168.1.10"]);
  });
});

Deno.test("nodeUser() is the node's identity in system:nodes", () => {
  assert.deepEqual(nodeUser("edge-1"), {
    username: "system:node:edge-1",
    groups: ["system:nodes", "system:authenticated"],
  });
});
