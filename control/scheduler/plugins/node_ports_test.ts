import assert from "node:assert/strict";
import type { Node } from "../../api/types/core_v1_node.ts";
import type { ContainerPort, Pod } from "../../api/types/core_v1_pod.ts";
import type { PluginStatus } from "../status.ts";
import { testNode, testPod } from "../_testing.ts";
import { checkPluginContract, filterStatus } from "./_contract.ts";
import { ERR_REASON, NAME, newNodePorts } from "./node_ports.ts";

function withPorts(name: string, ports: Partial<ContainerPort>[], nodeName?: string): Pod {
  return testPod({
    name,
    ports: ports.map((p) => ({ containerPort: 1, ...p })),
    ...nodeName === undefined ? {} : { nodeName },
  });
}

Deno.test("NodePorts rejects nodes where a requested host port is taken", async (t) => {
  const node = testNode({ name: "a" });
  const rejected: PluginStatus = { code: "Unschedulable", reasons: [ERR_REASON] };
  const cases: {
    name: string;
    pod: Pod;
    node: Node;
    existingPods: Pod[];
    want: PluginStatus | null;
  }[] = [
    {
      name: "no ports",
      pod: testPod(),
      node,
      existingPods: [withPorts("x", [{ hostPort: 80 }], "a")],
      want: null,
    },
    {
      name: "a free port",
      pod: withPorts("p", [{ hostPort: 8080 }]),
      node,
      existingPods: [withPorts("x", [{ hostPort: 80 }], "a")],
      want: null,
    },
    {
      name: "the same port",
      pod: withPorts("p", [{ hostPort: 80 }]),
      node,
      existingPods: [withPorts("x", [{ hostPort: 80 }], "a")],
      want: rejected,
    },
    {
      name: "another protocol",
      pod: withPorts("p", [{ hostPort: 53, protocol: "UDP" }]),
      node,
      existingPods: [withPorts("x", [{ hostPort: 53, protocol: "TCP" }], "a")],
      want: null,
    },
    {
      name: "0.0.0.0 against a specific IP",
      pod: withPorts("p", [{ hostPort: 80 }]),
      node,
      existingPods: [withPorts("x", [{ hostPort: 80, hostIP: "10.0.0.1" }], "a")],
      want: rejected,
    },
    {
      name: "two specific IPs",
      pod: withPorts("p", [{ hostPort: 80, hostIP: "10.0.0.2" }]),
      node,
      existingPods: [withPorts("x", [{ hostPort: 80, hostIP: "10.0.0.1" }], "a")],
      want: null,
    },
    {
      name: "a sidecar's port counts",
      pod: withPorts("p", [{ hostPort: 9000 }]),
      node,
      existingPods: [testPod({
        name: "x",
        nodeName: "a",
        initContainers: [{
          name: "proxy",
          restartPolicy: "Always",
          ports: [{ containerPort: 9000, hostPort: 9000 }],
        }],
      })],
      want: rejected,
    },
  ];
  const plugin = checkPluginContract(newNodePorts, {
    name: NAME,
    pods: cases.map((c) => c.pod),
    nodes: [node],
    existingPods: [withPorts("x", [{ hostPort: 80 }], "a")],
  });
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(filterStatus(plugin, c), c.want));
  }
});
