import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { NetworkPolicy } from "../../control/api/types/networking_v1.ts";
import { packetAllowed, type TestPacket } from "./_ruleset_eval.ts";
import { IP, policy, testPod, world } from "./_test_world.ts";
import {
  buildNetpolRuleset,
  netpolNameHash,
  netpolPodIp,
  networkPolicyDirections,
  renderNetpolRule,
} from "./netpol_ruleset.ts";

const EXTERNAL = "192.168.5.5";
const EXTERNAL_EXCEPTED = "192.168.6.6";
const DNS = "10.43.0.10";

/** `[from, to, "tcp/80", allowed]`, a pod as `ns/name` or an IP; `to` "node:<ip>" is the node. */
type Expectation = readonly [string, string, string, boolean];

interface Case {
  readonly name: string;
  readonly policies: NetworkPolicy[];
  readonly extraPods?: Pod[];
  readonly expect: readonly Expectation[];
}

function packetOf([from, to, service]: Expectation): TestPacket {
  const [protocol, port] = service.split("/") as [TestPacket["protocol"], string | undefined];
  const toNode = to.startsWith("node:");
  const dest = toNode ? to.slice(5) : to;
  return {
    from: IP[from] ?? from,
    to: IP[dest] ?? dest,
    protocol,
    ...(port ? { port: Number(port) } : {}),
    ...(toNode ? { toNode } : {}),
  };
}

const DENY_ALL_INGRESS_X = policy("x/deny-ingress", { podSelector: {} });

const CASES: Case[] = [
  {
    name: "no policy: every pod accepts and sends everything",
    policies: [],
    expect: [
      ["y/b", "x/a", "tcp/80", true],
      ["x/a", "x/b", "udp/81", true],
      [EXTERNAL, "x/a", "icmp", true],
      ["x/a", `node:${DNS}`, "udp/53", true],
    ],
  },
  {
    name: "default deny ingress (empty rule list) isolates ingress only",
    policies: [DENY_ALL_INGRESS_X],
    expect: [
      ["y/b", "x/a", "tcp/80", false],
      ["x/b", "x/a", "tcp/80", false],
      [EXTERNAL, "x/a", "icmp", false],
      ["x/a", "y/b", "tcp/80", true],
      ["x/a", "y/a", "tcp/80", true],
      ["y/b", "y/a", "tcp/80", true],
      ["x/a", "x/a", "tcp/80", true],
    ],
  },
  {
    name: "policyTypes [Egress] ignores ingress rules and denies all egress",
    policies: [
      policy("x/egress-only", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        ingress: [{}],
      }),
    ],
    expect: [
      ["y/b", "x/a", "tcp/80", true],
      ["x/a", "y/b", "tcp/80", false],
      ["x/a", "x/b", "tcp/80", false],
      ["x/a", `node:${DNS}`, "udp/53", false],
      ["x/b", "y/b", "tcp/80", true],
    ],
  },
  {
    name: "policyTypes defaults to Ingress plus Egress when egress rules are present",
    policies: [
      policy("x/both", {
        podSelector: { matchLabels: { pod: "a" } },
        egress: [{ to: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ],
    expect: [
      ["x/a", "x/b", "tcp/80", true],
      ["x/a", "x/c", "tcp/80", false],
      ["x/b", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "podSelector peer: pods of the policy's namespace only",
    policies: [
      policy("x/from-b", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ],
    expect: [
      ["x/b", "x/a", "tcp/80", true],
      ["x/b", "x/a", "udp/81", true],
      ["y/b", "x/a", "tcp/80", false],
      ["x/c", "x/a", "tcp/80", false],
      ["x/c", "x/b", "tcp/80", true],
    ],
  },
  {
    name: "empty podSelector peer: every pod of the namespace, nothing else",
    policies: [
      policy("x/from-x", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
    ],
    expect: [
      ["x/b", "x/a", "tcp/80", true],
      ["x/c", "x/b", "tcp/81", true],
      ["y/a", "x/a", "tcp/80", false],
      [EXTERNAL, "x/a", "tcp/80", false],
    ],
  },
  {
    name: "namespaceSelector peer: every pod of the selected namespaces",
    policies: [
      policy("x/from-y", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
      }),
    ],
    expect: [
      ["y/a", "x/a", "tcp/80", true],
      ["y/c", "x/a", "tcp/80", true],
      ["z/a", "x/a", "tcp/80", false],
      ["x/b", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "namespaceSelector by kubernetes.io/metadata.name with matchExpressions",
    policies: [
      policy("x/from-not-z", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [{
            namespaceSelector: {
              matchExpressions: [{
                key: "kubernetes.io/metadata.name",
                operator: "NotIn",
                values: ["z"],
              }],
            },
          }],
        }],
      }),
    ],
    expect: [
      ["y/b", "x/a", "tcp/80", true],
      ["x/b", "x/a", "tcp/80", true],
      ["z/b", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "empty namespaceSelector: every pod of the cluster, no external address",
    policies: [
      policy("x/from-cluster", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ namespaceSelector: {} }] }],
      }),
    ],
    expect: [
      ["z/c", "x/a", "tcp/80", true],
      ["x/b", "x/a", "tcp/80", true],
      [EXTERNAL, "x/a", "tcp/80", false],
    ],
  },
  {
    name: "namespaceSelector and podSelector in one peer are ANDed",
    policies: [
      policy("x/from-y-b", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [{
            namespaceSelector: { matchLabels: { ns: "y" } },
            podSelector: { matchLabels: { pod: "b" } },
          }],
        }],
      }),
    ],
    expect: [
      ["y/b", "x/a", "tcp/80", true],
      ["y/c", "x/a", "tcp/80", false],
      ["x/b", "x/a", "tcp/80", false],
      ["z/b", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "the same selectors as two peers are ORed",
    policies: [
      policy("x/from-y-or-b", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [
            { namespaceSelector: { matchLabels: { ns: "y" } } },
            { podSelector: { matchLabels: { pod: "b" } } },
          ],
        }],
      }),
    ],
    expect: [
      ["y/c", "x/a", "tcp/80", true],
      ["x/b", "x/a", "tcp/80", true],
      ["z/b", "x/a", "tcp/80", false],
      ["x/c", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "ipBlock with except, for external addresses and pod IPs alike",
    policies: [
      policy("x/from-cidr", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [
            { ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.6.0/24"] } },
            { ipBlock: { cidr: "10.42.1.0/24", except: ["10.42.1.30/32"] } },
          ],
        }],
      }),
    ],
    expect: [
      [EXTERNAL, "x/a", "tcp/80", true],
      [EXTERNAL_EXCEPTED, "x/a", "tcp/80", false],
      ["y/b", "x/a", "tcp/80", true],
      ["z/a", "x/a", "tcp/80", false],
      ["x/b", "x/a", "tcp/80", false],
      ["10.9.9.9", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "an address in both a CIDR's except and another policy's CIDR is allowed",
    policies: [
      policy("x/cidr-except", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "10.42.1.0/24", except: ["10.42.1.21/32"] } }] }],
      }),
      policy("x/cidr-exact", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "10.42.1.21/32" } }] }],
      }),
    ],
    expect: [
      ["x/a", "y/b", "tcp/80", true],
      ["x/a", "y/c", "tcp/80", true],
      ["x/a", "x/b", "tcp/80", false],
    ],
  },
  {
    name: "policies selecting one pod are unioned",
    policies: [
      policy("x/b-on-80", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [{ podSelector: { matchLabels: { pod: "b" } } }],
          ports: [{ port: 80 }],
        }],
      }),
      policy("x/c-on-81", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [{ podSelector: { matchLabels: { pod: "c" } } }],
          ports: [{ port: 81 }],
        }],
      }),
    ],
    expect: [
      ["x/b", "x/a", "tcp/80", true],
      ["x/b", "x/a", "tcp/81", false],
      ["x/c", "x/a", "tcp/81", true],
      ["x/c", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "an allow-all policy takes precedence over a deny-all one",
    policies: [
      DENY_ALL_INGRESS_X,
      policy("x/allow-all", { podSelector: {}, ingress: [{}] }),
      policy("x/deny-egress", { podSelector: {}, policyTypes: ["Egress"] }),
      policy("x/allow-egress", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] }),
    ],
    expect: [
      ["z/a", "x/a", "tcp/80", true],
      [EXTERNAL, "x/b", "udp/81", true],
      ["x/a", "z/a", "tcp/80", true],
      ["x/a", `node:${DNS}`, "udp/53", true],
    ],
  },
  {
    name: "ports: numeric TCP by default, protocol only, endPort ranges",
    policies: [
      policy("x/ports", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          ports: [
            { port: 80 },
            { protocol: "UDP" },
            { protocol: "TCP", port: 8000, endPort: 8010 },
            { protocol: "SCTP", port: 9000 },
          ],
        }],
      }),
    ],
    expect: [
      ["x/b", "x/a", "tcp/80", true],
      ["x/b", "x/a", "tcp/81", false],
      ["x/b", "x/a", "udp/80", true],
      ["x/b", "x/a", "udp/5353", true],
      ["x/b", "x/a", "tcp/8000", true],
      ["x/b", "x/a", "tcp/8010", true],
      ["x/b", "x/a", "tcp/8011", false],
      ["x/b", "x/a", "tcp/7999", false],
      ["x/b", "x/a", "sctp/9000", true],
      ["x/b", "x/a", "tcp/9000", false],
      ["x/b", "x/a", "icmp", false],
    ],
  },
  {
    name: "a policy for UDP only does not allow TCP to the same port",
    policies: [
      policy("x/udp-81", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ ports: [{ protocol: "UDP", port: 81 }] }],
      }),
    ],
    expect: [["x/b", "x/a", "udp/81", true], ["x/b", "x/a", "tcp/81", false]],
  },
  {
    name: "named ports resolve per destination pod (ingress)",
    policies: [
      policy("x/http", { podSelector: {}, ingress: [{ ports: [{ port: "http" }] }] }),
    ],
    expect: [
      ["y/b", "x/a", "tcp/80", true],
      ["y/b", "x/a", "tcp/8080", false],
      ["y/b", "x/b", "tcp/8080", true],
      ["y/b", "x/b", "tcp/80", false],
      ["y/b", "x/c", "tcp/80", false],
      ["y/b", "x/c", "tcp/8080", false],
    ],
  },
  {
    name: "named ports resolve per destination pod (egress), protocol included",
    policies: [
      policy("x/egress-http", {
        podSelector: { matchLabels: { pod: "c" } },
        policyTypes: ["Egress"],
        egress: [{ ports: [{ port: "http" }, { protocol: "UDP", port: "http" }] }],
      }),
    ],
    expect: [
      ["x/c", "x/a", "tcp/80", true],
      ["x/c", "x/b", "tcp/8080", true],
      ["x/c", "x/b", "tcp/80", false],
      ["x/c", "y/b", "udp/8080", true],
      ["x/c", "y/b", "tcp/8080", false],
      ["x/c", EXTERNAL, "tcp/80", false],
    ],
  },
  {
    name: "several peers and several ports: every pair, nothing else",
    policies: [
      policy("x/pairs", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{
          from: [
            { podSelector: { matchLabels: { pod: "b" } } },
            { ipBlock: { cidr: "192.168.5.0/24" } },
          ],
          ports: [{ port: 80 }, { protocol: "UDP", port: 81 }, { port: "serve-81-tcp" }],
        }],
      }),
    ],
    expect: [
      ["x/b", "x/a", "tcp/80", true],
      ["x/b", "x/a", "udp/81", true],
      ["x/b", "x/a", "tcp/81", true],
      [EXTERNAL, "x/a", "tcp/80", true],
      [EXTERNAL, "x/a", "udp/81", true],
      ["x/b", "x/a", "tcp/82", false],
      ["x/c", "x/a", "tcp/80", false],
    ],
  },
  {
    name: "egress isolation covers traffic to the node itself: DNS needs a rule",
    policies: [
      policy("x/deny-egress", { podSelector: {}, policyTypes: ["Egress"] }),
      policy("x/dns", {
        podSelector: { matchLabels: { pod: "b" } },
        policyTypes: ["Egress"],
        egress: [{ ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }],
      }),
    ],
    expect: [
      ["x/a", `node:${DNS}`, "udp/53", false],
      ["x/b", `node:${DNS}`, "udp/53", true],
      ["x/b", `node:${DNS}`, "tcp/53", true],
      ["x/b", `node:${DNS}`, "tcp/80", false],
      ["x/a", "y/b", "tcp/80", false],
      ["y/a", "x/a", "tcp/80", true],
    ],
  },
  {
    name: "egress denial on the client side wins over the server's ingress allowance",
    policies: [
      policy("x/deny-egress-a", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
      }),
      policy("x/allow-in-b", { podSelector: { matchLabels: { pod: "b" } }, ingress: [{}] }),
    ],
    expect: [["x/a", "x/b", "tcp/80", false], ["x/c", "x/b", "tcp/80", true]],
  },
  {
    name: "a policy in another namespace selects none of x's pods",
    policies: [policy("y/deny", { podSelector: {} })],
    expect: [
      ["z/a", "x/a", "tcp/80", true],
      ["z/a", "y/a", "tcp/80", false],
      ["x/a", "y/a", "tcp/80", false],
    ],
  },
  {
    name: "pods on the host network or finished are neither selected nor peers",
    policies: [
      policy("x/from-b", {
        podSelector: {},
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ],
    extraPods: [
      {
        ...testPod("x/b"),
        metadata: { namespace: "x", name: "b-host", labels: { pod: "b" } },
        spec: { nodeName: "n1", hostNetwork: true, containers: [] },
        status: { phase: "Running", podIP: "10.0.0.1" },
      },
      {
        ...testPod("x/b"),
        metadata: { namespace: "x", name: "b-done", labels: { pod: "b" } },
        status: { phase: "Succeeded", podIP: "10.42.0.99" },
      },
    ],
    expect: [
      ["x/b", "x/a", "tcp/80", true],
      ["10.0.0.1", "x/a", "tcp/80", false],
      ["10.42.0.99", "x/a", "tcp/80", false],
    ],
  },
];

Deno.test("buildNetpolRuleset() enforces Kubernetes NetworkPolicy semantics", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const ruleset = buildNetpolRuleset(world(c.policies, c.extraPods));
      assert.deepEqual(ruleset.problems, []);
      for (const e of c.expect) {
        assert.equal(
          packetAllowed(ruleset, packetOf(e)),
          e[3],
          `${e[0]} → ${e[1]} ${e[2]} should be ${e[3] ? "allowed" : "denied"}`,
        );
      }
    });
  }
});

Deno.test("buildNetpolRuleset() names its chains and sets stably (golden)", () => {
  const ruleset = buildNetpolRuleset(world([
    policy("x/web", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { pod: "b" } } },
            { ipBlock: { cidr: "192.168.1.7/16", except: ["192.168.1.0/24", "192.168.1.128/25"] } },
          ],
          ports: [{ port: 80 }, { protocol: "UDP", port: 5000, endPort: 5010 }, { port: "http" }],
        },
        { from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 81 }] },
      ],
      egress: [{ to: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
    }),
  ]));
  const chains = Object.fromEntries(
    [...ruleset.chains].map(([name, rules]) => [name, rules.map(renderNetpolRule)]),
  );
  const podsB = `pods-${netpolNameHash('namespace x pods [["pod","In",["b"]]]', 16)}`;
  const nsY = `pods-${netpolNameHash('namespaces [["ns","In",["y"]]] pods []', 16)}`;
  const ingress = `ingress-${netpolNameHash("x/web", 8)}-x/web`;
  const egress = `egress-${netpolNameHash("x/web", 8)}-x/web`;
  const ingressCombination = `ingress-policies-${netpolNameHash(ingress, 16)}`;
  const egressCombination = `egress-policies-${netpolNameHash(egress, 16)}`;
  assert.deepEqual(chains, {
    [ingress]: [
      `ip saddr @${podsB} jump ${ingress}/0`,
      `ip saddr 192.168.0.0/16 ip saddr != { 192.168.1.0/24 } jump ${ingress}/0`,
      `ip saddr @${nsY} tcp dport 81 accept`,
    ],
    [`${ingress}/0`]: [
      "tcp dport 80 accept",
      "udp dport 5000-5010 accept",
      "ip daddr . tcp dport @named-tcp-http accept",
    ],
    [egress]: [`ip daddr @${podsB} accept`],
    [ingressCombination]: [`jump ${ingress}`, "drop"],
    [egressCombination]: [`jump ${egress}`, "drop"],
  });
  const sets = Object.fromEntries(
    [...ruleset.sets].map(([name, s]) => [name, [s.type, ...[...s.elements].sort()]]),
  );
  assert.deepEqual(sets, {
    [podsB]: ["ipv4_addr", IP["x/b"]],
    [nsY]: ["ipv4_addr", IP["y/a"], IP["y/b"], IP["y/c"]],
    "named-tcp-http": ["ipv4_addr . inet_service", "10.42.0.10 . 80", "10.42.0.11 . 8080"],
    self: ["ipv4_addr . ipv4_addr", "10.42.0.10 . 10.42.0.10"],
  });
  assert.deepEqual(Object.fromEntries([...ruleset.maps].map(([k, v]) => [k, [...v]])), {
    "ingress-pods": [[IP["x/a"], ingressCombination]],
    "egress-pods": [[IP["x/a"], egressCombination]],
  });
});

Deno.test("buildNetpolRuleset() shares one set between peers with the same selectors", () => {
  const fromB = { from: [{ podSelector: { matchLabels: { pod: "b" } } }] };
  const ruleset = buildNetpolRuleset(world([
    policy("x/one", { podSelector: { matchLabels: { pod: "a" } }, ingress: [fromB] }),
    policy("x/two", { podSelector: { matchLabels: { pod: "c" } }, ingress: [fromB, fromB] }),
  ]));
  const peerSets = [...ruleset.sets.keys()].filter((name) => name.startsWith("pods-"));
  assert.equal(peerSets.length, 1);
});

Deno.test("buildNetpolRuleset() shares a combination chain between pods with the same policies", () => {
  const ruleset = buildNetpolRuleset(world([DENY_ALL_INGRESS_X]));
  const ingress = ruleset.maps.get("ingress-pods")!;
  assert.deepEqual([...ingress.keys()].sort(), [IP["x/a"], IP["x/b"], IP["x/c"]]);
  assert.equal(new Set(ingress.values()).size, 1);
});

Deno.test("buildNetpolRuleset() reports policies it cannot enforce and denies what they would allow", () => {
  const ruleset = buildNetpolRuleset(world([
    policy("x/bad-target", {
      podSelector: { matchExpressions: [{ key: "pod", operator: "Near" as "In" }] },
    }),
    policy("x/bad-peer", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{
        from: [
          { podSelector: { matchExpressions: [{ key: "pod", operator: "In" }] } },
          { ipBlock: { cidr: "10.1.2.3" } },
          { ipBlock: { cidr: "2001:db8::/64" } },
        ],
      }],
    }),
  ]));
  assert.equal(ruleset.problems.length, 3);
  assert.match(ruleset.problems[0]!, /^NetworkPolicy "x\/bad-peer": spec\.ingress\[0\]\.from\[0\]/);
  assert.match(
    ruleset.problems[1]!,
    /^NetworkPolicy "x\/bad-peer": spec\.ingress\[0\]\.from\[1\]\.ipBlock\.cidr: cannot parse "10\.1\.2\.3"$/,
  );
  assert.match(ruleset.problems[2]!, /^NetworkPolicy "x\/bad-target": podSelector: /);
  assert.equal(packetAllowed(ruleset, packetOf(["x/b", "x/a", "tcp/80", false])), false);
  assert.equal(packetAllowed(ruleset, packetOf(["x/b", "x/c", "tcp/80", true])), true);
});

Deno.test("buildNetpolRuleset() leaves out an ipBlock its except covers", () => {
  const ruleset = buildNetpolRuleset(world([
    policy("x/covered", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [{ from: [{ ipBlock: { cidr: "192.168.5.0/24", except: ["192.168.0.0/16"] } }] }],
    }),
  ]));
  assert.equal(packetAllowed(ruleset, packetOf([EXTERNAL, "x/a", "tcp/80", false])), false);
  assert.deepEqual(ruleset.chains.get(`ingress-${netpolNameHash("x/covered", 8)}-x/covered`), []);
});

Deno.test("networkPolicyDirections() defaults policyTypes as the API does", async (t) => {
  const cases: [string, NetworkPolicy, { ingress: boolean; egress: boolean }][] = [
    ["no types, no egress", policy("x/p", { podSelector: {} }), { ingress: true, egress: false }],
    ["no types, egress rules", policy("x/p", { podSelector: {}, egress: [{}] }), {
      ingress: true,
      egress: true,
    }],
    ["no types, empty egress list", policy("x/p", { podSelector: {}, egress: [] }), {
      ingress: true,
      egress: false,
    }],
    ["explicit Egress", policy("x/p", { podSelector: {}, policyTypes: ["Egress"] }), {
      ingress: false,
      egress: true,
    }],
  ];
  for (const [name, p, want] of cases) {
    await t.step(name, () => assert.deepEqual(networkPolicyDirections(p), want));
  }
});

Deno.test("netpolPodIp() takes the first IPv4 pod IP of a running pod network pod", () => {
  assert.equal(netpolPodIp(testPod("x/a")), IP["x/a"]);
  assert.equal(
    netpolPodIp({ ...testPod("x/a"), status: { podIPs: [{ ip: "fd00::1" }, { ip: "10.1.1.1" }] } }),
    "10.1.1.1",
  );
  assert.equal(netpolPodIp({ ...testPod("x/a"), status: {} }), undefined);
  assert.equal(
    netpolPodIp({ ...testPod("x/a"), status: { phase: "Failed", podIP: "10.1.1.1" } }),
    undefined,
  );
});
