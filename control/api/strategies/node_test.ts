import assert from "node:assert/strict";
import { validateSchema } from "../codec/validate_schema.ts";
import { Node } from "../types/core_v1_node.ts";
import { nodeStrategy } from "./node.ts";

function node(obj: Partial<Node> = {}): Node {
  return { metadata: { name: "edge-1" }, ...obj };
}

Deno.test("nodeStrategy.default() syncs podCIDR with podCIDRs and allocatable with capacity", () => {
  const legacy = node({ spec: { podCIDR: "10.42.1.0/24" }, status: { capacity: { cpu: "4" } } });
  nodeStrategy.default!(legacy);
  assert.deepEqual(legacy.spec?.podCIDRs, ["10.42.1.0/24"]);
  assert.deepEqual(legacy.status?.allocatable, { cpu: "4" });
  const modern = node({ spec: { podCIDR: "10.0.0.0/8", podCIDRs: ["10.42.2.0/24", "fd00::/64"] } });
  nodeStrategy.default!(modern);
  assert.equal(modern.spec?.podCIDR, "10.42.2.0/24");
});

Deno.test("nodeStrategy.prepareForCreate() drops the removed dynamic kubelet configuration", () => {
  const obj = node({
    spec: { configSource: { configMap: { namespace: "a", name: "b", kubeletConfigKey: "k" } } },
    status: { config: { error: "x" } },
  });
  nodeStrategy.prepareForCreate!(obj);
  assert.equal(obj.spec?.configSource, undefined);
  assert.equal(obj.status?.config, undefined);
});

Deno.test("nodeStrategy.validate() reports upstream's messages", async (t) => {
  const cases: [string, Partial<Node>, string[]][] = [
    ["dual-stack CIDRs", { spec: { podCIDRs: ["10.42.0.0/24", "fd00::/64"] } }, []],
    ["bad CIDR", { spec: { podCIDRs: ["10.42.0.0/33"] } }, [
      'spec.podCIDRs[0]: Invalid value: "10.42.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]],
    ["two IPv4 CIDRs", { spec: { podCIDRs: ["10.42.0.0/24", "10.42.0.0/24"] } }, [
      'spec.podCIDRs: Invalid value: []string{"10.42.0.0/24", "10.42.0.0/24"}: may specify no more than one CIDR for each IP family',
      'spec.podCIDRs[1]: Duplicate value: "10.42.0.0/24"',
    ]],
    ["duplicate taint", {
      spec: {
        taints: [{ key: "a", effect: "NoSchedule" }, {
          key: "a",
          value: "b",
          effect: "NoSchedule",
        }],
      },
    }, [
      'metadata.taints[1]: Duplicate value: core.Taint{Key:"a", Value:"b", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
    ]],
    ["bad taint value", { spec: { taints: [{ key: "a", value: "x y", effect: "NoExecute" }] } }, [
      `metadata.taints[0].value: Invalid value: "x y": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    ]],
    ["negative capacity", { status: { capacity: { memory: "-1Gi" } } }, [
      'status.capacity.memory: Invalid value: "-1Gi": must be greater than or equal to 0',
    ]],
  ];
  for (const [name, obj, want] of cases) {
    await t.step(name, () => assert.deepEqual(nodeStrategy.validate!(node(obj)).map(String), want));
  }
});

Deno.test("nodeStrategy.validateUpdate() keeps podCIDRs and providerID once set", () => {
  const old = node({ spec: { podCIDRs: ["10.42.1.0/24"], providerID: "k3s://edge-1" } });
  assert.deepEqual(nodeStrategy.validateUpdate!(node({ spec: { ...old.spec } }), old), []);
  const errs = nodeStrategy.validateUpdate!(
    node({ spec: { podCIDRs: ["10.42.9.0/24"], providerID: "other://x", externalID: "e" } }),
    old,
  );
  assert.deepEqual(errs.map(String), [
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    "spec.externalID: Forbidden: may not be updated",
  ]);
  assert.deepEqual(
    nodeStrategy.validateUpdate!(node({ spec: { podCIDRs: ["10.42.1.0/24"] } }), node()),
    [],
  );
});

Deno.test("nodeStrategy.validateStatusUpdate() rejects duplicate addresses", () => {
  const obj = node({
    status: {
      addresses: [
        { type: "InternalIP", address: "192.168.1.5" },
        { type: "InternalIP", address: "192.168.1.5" },
      ],
    },
  });
  assert.deepEqual(nodeStrategy.validateStatusUpdate!(obj, node()).map(String), [
    'status.addresses[1]: Duplicate value: core.NodeAddress{Type:"InternalIP", Address:"192.168.1.5"}',
  ]);
});

Deno.test("nodeStrategy.prepareForUpdate() keeps the stored status", () => {
  const old = node({ status: { capacity: { cpu: "2" } } });
  const obj = node({ status: { capacity: { cpu: "64" } } });
  nodeStrategy.prepareForUpdate!(obj, old);
  assert.deepEqual(obj.status, { capacity: { cpu: "2" } });
});

Deno.test("A Node's nodeInfo may report empty values, as upstream does not validate them", () => {
  const info = {
    machineID: "0123456789abcdef0123456789abcdef",
    systemUUID: "",
    bootID: "b7c2a9",
    kernelVersion: "6.1.0-rpi7-rpi-v8",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    containerRuntimeVersion: "containerd://1.6.20",
    kubeletVersion: "v1.33.0",
    kubeProxyVersion: "",
    operatingSystem: "linux",
    architecture: "arm64",
  };
  assert.deepEqual(validateSchema(Node, node({ status: { nodeInfo: info } })).map(String), []);
});
