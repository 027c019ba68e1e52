import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import type { NetworkPolicy } from "../../control/api/types/networking_v1.ts";
import { policy, testNamespaces, testPod } from "./_test_world.ts";
import { buildNetpolRuleset, netpolNameHash, type NetpolRuleset } from "./netpol_ruleset.ts";
import { fullNetpolTransaction, incrementalNetpolTransaction } from "./nft_transaction.ts";

const T = { table: "np" };

function rulesetOf(policies: NetworkPolicy[], pods: Pod[]): NetpolRuleset {
  return buildNetpolRuleset({ nodeName: "n1", namespaces: testNamespaces(), pods, policies });
}

const FROM_B = policy("x/from-b", {
  podSelector: { matchLabels: { pod: "a" } },
  ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: 80 }] }],
});
const DENY_EGRESS = policy("x/deny-egress", { podSelector: {}, policyTypes: ["Egress"] });

const PODS_B = `pods-${netpolNameHash('namespace x pods [["pod","In",["b"]]]', 16)}`;
const IN_FROM_B = `ingress-${netpolNameHash("x/from-b", 8)}-x/from-b`;
const EG_DENY = `egress-${netpolNameHash("x/deny-egress", 8)}-x/deny-egress`;
const COMBO_IN = `ingress-policies-${netpolNameHash(IN_FROM_B, 16)}`;
const COMBO_EG = `egress-policies-${netpolNameHash(EG_DENY, 16)}`;

Deno.test("fullNetpolTransaction() writes the whole table (golden)", () => {
  const text = fullNetpolTransaction(
    rulesetOf([FROM_B], [testPod("x/a"), testPod("x/b"), testPod("y/b")]),
    T,
  );
  assert.equal(
    text,
    [
      "add table inet np",
      "delete table inet np",
      "add table inet np",
      "add chain inet np forward-egress { type filter hook forward priority 0; policy accept; }",
      "add chain inet np forward-ingress { type filter hook forward priority 1; policy accept; }",
      "add chain inet np input-egress { type filter hook input priority 0; policy accept; }",
      `add set inet np ${PODS_B} { type ipv4_addr; }`,
      "add set inet np self { type ipv4_addr . ipv4_addr; }",
      "add map inet np egress-pods { type ipv4_addr : verdict; }",
      "add map inet np ingress-pods { type ipv4_addr : verdict; }",
      `add chain inet np ${IN_FROM_B}`,
      `add chain inet np ${COMBO_IN}`,
      `add element inet np ${PODS_B} { 10.42.0.11 }`,
      "add element inet np self { 10.42.0.10 . 10.42.0.10 }",
      `add rule inet np ${IN_FROM_B} ip saddr @${PODS_B} tcp dport 80 accept`,
      `add rule inet np ${COMBO_IN} jump ${IN_FROM_B}`,
      `add rule inet np ${COMBO_IN} drop`,
      `add element inet np ingress-pods { 10.42.0.10 : goto ${COMBO_IN} }`,
      "add rule inet np forward-egress ct state established,related accept",
      "add rule inet np forward-egress ip saddr . ip daddr @self accept",
      "add rule inet np forward-egress ip saddr vmap @egress-pods",
      "add rule inet np forward-ingress ct state established,related accept",
      "add rule inet np forward-ingress ip saddr . ip daddr @self accept",
      "add rule inet np forward-ingress ip daddr vmap @ingress-pods",
      "add rule inet np input-egress ct state established,related accept",
      "add rule inet np input-egress ip saddr vmap @egress-pods",
      "",
    ].join("\n"),
  );
});

Deno.test("fullNetpolTransaction() lets pods reach the node-local services before egress policy", () => {
  const text = fullNetpolTransaction(rulesetOf([FROM_B], [testPod("x/a")]), {
    ...T,
    nodeLocalServiceIPs: ["10.43.0.10"],
  });
  const input = text.split("\n").filter((line) => line.startsWith("add rule inet np input-egress"));
  assert.deepEqual(input, [
    "add rule inet np input-egress ct state established,related accept",
    "add rule inet np input-egress ip daddr { 10.43.0.10 } accept",
    "add rule inet np input-egress ip saddr vmap @egress-pods",
  ]);
});

Deno.test("incrementalNetpolTransaction() changes only what changed", async (t) => {
  const pods = [testPod("x/a"), testPod("x/b"), testPod("x/c"), testPod("y/b")];
  const cases: {
    name: string;
    before: NetpolRuleset;
    after: NetpolRuleset;
    want: string[];
  }[] = [
    {
      name: "nothing changed: no transaction",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([FROM_B], pods),
      want: [],
    },
    {
      name: "a peer's label changes: one set element",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([FROM_B], [
        testPod("x/a"),
        testPod("x/b"),
        testPod("x/c", { labels: { pod: "b" } }),
        testPod("y/b"),
      ]),
      want: [`add element inet np ${PODS_B} { 10.42.0.12 }`],
    },
    {
      name: "a peer goes away: one set element",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([FROM_B], [testPod("x/a"), testPod("x/c"), testPod("y/b")]),
      want: [`delete element inet np ${PODS_B} { 10.42.0.11 }`],
    },
    {
      name: "a selected pod's label changes: map and self elements",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([FROM_B], [
        testPod("x/a", { labels: { pod: "z" } }),
        testPod("x/b"),
        testPod("x/c", { labels: { pod: "a" } }),
        testPod("y/b"),
      ]),
      want: [
        "delete element inet np self { 10.42.0.10 . 10.42.0.10 }",
        "add element inet np self { 10.42.0.12 . 10.42.0.12 }",
        "delete element inet np ingress-pods { 10.42.0.10 }",
        `add element inet np ingress-pods { 10.42.0.12 : goto ${COMBO_IN} }`,
      ],
    },
    {
      name: "a second policy selects a pod: its chains, then the pod's new map element",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([FROM_B, DENY_EGRESS], pods),
      want: [
        `add chain inet np ${EG_DENY}`,
        `add chain inet np ${COMBO_EG}`,
        "add element inet np self { 10.42.0.11 . 10.42.0.11, 10.42.0.12 . 10.42.0.12 }",
        `add rule inet np ${COMBO_EG} jump ${EG_DENY}`,
        `add rule inet np ${COMBO_EG} drop`,
        `add element inet np egress-pods { 10.42.0.10 : goto ${COMBO_EG}, 10.42.0.11 : goto ${COMBO_EG}, 10.42.0.12 : goto ${COMBO_EG} }`,
      ],
    },
    {
      name: "a policy is deleted: elements first, then its chains and sets",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([], pods),
      want: [
        "delete element inet np self { 10.42.0.10 . 10.42.0.10 }",
        "delete element inet np ingress-pods { 10.42.0.10 }",
        `flush chain inet np ${IN_FROM_B}`,
        `flush chain inet np ${COMBO_IN}`,
        `delete chain inet np ${IN_FROM_B}`,
        `delete chain inet np ${COMBO_IN}`,
        `delete set inet np ${PODS_B}`,
      ],
    },
    {
      name: "a policy's rules change: its chain is rewritten in place",
      before: rulesetOf([FROM_B], pods),
      after: rulesetOf([
        policy("x/from-b", {
          podSelector: { matchLabels: { pod: "a" } },
          ingress: [{
            from: [{ podSelector: { matchLabels: { pod: "b" } } }],
            ports: [{ port: 80, endPort: 90 }],
          }],
        }),
      ], pods),
      want: [
        `flush chain inet np ${IN_FROM_B}`,
        `add rule inet np ${IN_FROM_B} ip saddr @${PODS_B} tcp dport 80-90 accept`,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const text = incrementalNetpolTransaction({ previous: c.before, next: c.after }, T);
      assert.equal(text, c.want.length === 0 ? "" : `${c.want.join("\n")}\n`);
    });
  }
});

Deno.test("incrementalNetpolTransaction() gives up when a set's key type changes", () => {
  const before = rulesetOf([FROM_B], [testPod("x/a")]);
  const sets = new Map(before.sets);
  sets.set("self", { type: "ipv4_addr", elements: new Set() });
  const after: NetpolRuleset = { ...before, sets };
  assert.equal(incrementalNetpolTransaction({ previous: before, next: after }, T), undefined);
});

Deno.test("fullNetpolTransaction() splits long element lists", () => {
  const ruleset = rulesetOf([DENY_EGRESS], [testPod("x/a"), testPod("x/b"), testPod("x/c")]);
  const text = fullNetpolTransaction(ruleset, { table: "np", elementsPerLine: 2 });
  const egress = text.split("\n").filter((l) => l.startsWith("add element inet np egress-pods"));
  assert.deepEqual(egress, [
    `add element inet np egress-pods { 10.42.0.10 : goto ${COMBO_EG}, 10.42.0.11 : goto ${COMBO_EG} }`,
    `add element inet np egress-pods { 10.42.0.12 : goto ${COMBO_EG} }`,
  ]);
});
