import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import type { NetworkPolicy, NetworkPolicySpec } from "../types/networking_v1.ts";
import { networkPolicyStrategy, validateNetworkPolicy } from "./network_policy.ts";

function policy(spec: NetworkPolicySpec): NetworkPolicy {
  return { metadata: { name: "np", namespace: "default" }, spec };
}

Deno.test("networkPolicyStrategy.default() fills podSelector and policyTypes", async (t) => {
  const cases: { name: string; spec: NetworkPolicySpec | undefined; want: unknown }[] = [
    { name: "no spec", spec: undefined, want: { podSelector: {}, policyTypes: ["Ingress"] } },
    {
      name: "egress rules",
      spec: { egress: [{}] },
      want: { egress: [{}], podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
    {
      name: "explicit policyTypes",
      spec: { podSelector: {}, policyTypes: ["Egress"] },
      want: { podSelector: {}, policyTypes: ["Egress"] },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj: KubeObject = { metadata: { name: "np" } };
      if (c.spec !== undefined) obj.spec = c.spec;
      networkPolicyStrategy.default!(obj);
      assert.deepEqual(obj.spec, c.want);
    });
  }
});

Deno.test("validateNetworkPolicy() reports upstream's messages", async (t) => {
  const cases: { name: string; spec: NetworkPolicySpec; want: string[] }[] = [
    {
      name: "a valid policy",
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{
          ports: [{ protocol: "TCP", port: 80, endPort: 90 }, { port: "http" }],
          from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }, {
            namespaceSelector: {},
            podSelector: {},
          }],
        }],
      },
      want: [],
    },
    {
      name: "an endPort below port",
      spec: { ingress: [{ ports: [{ port: 90, endPort: 80 }] }] },
      want: [
        "spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
      ],
    },
    {
      name: "an endPort with a named port",
      spec: { egress: [{ ports: [{ port: "http", endPort: 80 }] }] },
      want: [
        "spec.egress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is non-numeric",
      ],
    },
    {
      name: "an endPort without port",
      spec: { egress: [{ ports: [{ endPort: 80 }] }] },
      want: [
        "spec.egress[0].ports[0].endPort: Invalid value: 80: may not be specified when `port` is not specified",
      ],
    },
    {
      name: "a port out of range",
      spec: { ingress: [{ ports: [{ port: 70000 }] }] },
      want: [
        "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
      ],
    },
    {
      name: "an empty peer",
      spec: { ingress: [{ from: [{}] }] },
      want: ["spec.ingress[0].from[0]: Required value: must specify a peer"],
    },
    {
      name: "ipBlock with a selector",
      spec: { ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] },
      want: ["spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"],
    },
    {
      name: "a bad CIDR and an except outside it",
      spec: {
        egress: [{
          to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["192.168.0.0/16", "10.0.0.0/8"] } }, {
            ipBlock: { cidr: "10.0.0.0/33" },
          }],
        }],
      },
      want: [
        'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
        'spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
        'spec.egress[0].to[1].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
    {
      name: "a bad selector operator",
      spec: { podSelector: { matchExpressions: [{ key: "a", operator: "Maybe" }] } },
      want: [
        'spec.podSelector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator',
      ],
    },
    {
      name: "three policy types",
      spec: { policyTypes: ["Ingress", "Egress", "Ingress"] },
      want: [
        'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateNetworkPolicy(policy(c.spec)).map(String), c.want);
    });
  }
});

Deno.test("networkPolicyStrategy warns about ambiguous CIDRs", () => {
  const obj = policy({ ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.1/8" } }] }] });
  assert.deepEqual(networkPolicyStrategy.warnings!(obj as KubeObject), [
    'spec.ingress[0].from[0].ipBlock.cidr: CIDR value "10.0.0.1/8" is ambiguous in this context (should be "10.0.0.0/8" or "10.0.0.1/32"?)',
  ]);
});
