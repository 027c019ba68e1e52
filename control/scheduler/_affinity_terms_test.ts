import assert from "node:assert/strict";
import type { PodAffinityTerm } from "../api/types/core_v1_pod.ts";
import {
  affinityTermMatches,
  NO_AFFINITY_TERMS,
  parsePodAffinityTerms,
} from "./_affinity_terms.ts";
import { newPodInfo } from "./node_info.ts";
import { testPod } from "./_testing.ts";

function podWithTerm(term: PodAffinityTerm, labels: Record<string, string> = {}) {
  return testPod({
    name: "incoming",
    namespace: "team-a",
    labels,
    affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } },
  });
}

Deno.test("parsePodAffinityTerms() resolves each term's namespaces as upstream", async (t) => {
  const cases: { name: string; term: PodAffinityTerm; namespaces: string[]; nsSelector: string }[] =
    [
      {
        name: "no namespaces and no selector: the pod's own",
        term: { topologyKey: "zone", labelSelector: {} },
        namespaces: ["team-a"],
        nsSelector: "nothing",
      },
      {
        name: "named namespaces only",
        term: { topologyKey: "zone", labelSelector: {}, namespaces: ["x", "y"] },
        namespaces: ["x", "y"],
        nsSelector: "nothing",
      },
      {
        name: "an empty namespace selector: every namespace",
        term: { topologyKey: "zone", labelSelector: {}, namespaceSelector: {} },
        namespaces: [],
        nsSelector: "everything",
      },
      {
        name: "a namespace selector and names",
        term: {
          topologyKey: "zone",
          labelSelector: {},
          namespaces: ["x"],
          namespaceSelector: { matchLabels: { env: "prod" } },
        },
        namespaces: ["x"],
        nsSelector: "labels",
      },
    ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const [term] = parsePodAffinityTerms(podWithTerm(c.term)).requiredAffinity;
      assert.deepEqual([...term!.namespaces], c.namespaces);
      const kind = term!.namespaceSelector.isNothing
        ? "nothing"
        : term!.namespaceSelector.isEmpty
        ? "everything"
        : "labels";
      assert.equal(kind, c.nsSelector);
    });
  }
});

Deno.test("parsePodAffinityTerms() applies matchLabelKeys and mismatchLabelKeys once", () => {
  const term: PodAffinityTerm = {
    topologyKey: "zone",
    labelSelector: { matchLabels: { app: "web" } },
    matchLabelKeys: ["pod-template-hash", "missing"],
    mismatchLabelKeys: ["tenant"],
  };
  const labels = { app: "web", "pod-template-hash": "abc", tenant: "t1" };
  const [parsed] = parsePodAffinityTerms(podWithTerm(term, labels)).requiredAffinity;
  assert.deepEqual(parsed!.selector.requirements, [
    { key: "app", operator: "In", values: ["web"] },
    { key: "pod-template-hash", operator: "In", values: ["abc"] },
    { key: "tenant", operator: "NotIn", values: ["t1"] },
  ]);
  assert.ok(parsed!.selector.matches({ app: "web", "pod-template-hash": "abc", tenant: "t2" }));
  assert.ok(!parsed!.selector.matches({ app: "web", "pod-template-hash": "old" }));
  assert.ok(!parsed!.selector.matches({ app: "web", "pod-template-hash": "abc", tenant: "t1" }));

  const merged: PodAffinityTerm = {
    ...term,
    labelSelector: {
      matchLabels: { app: "web" },
      matchExpressions: [{ key: "pod-template-hash", operator: "In", values: ["abc"] }],
    },
    mismatchLabelKeys: [],
  };
  const [again] = parsePodAffinityTerms(podWithTerm(merged, labels)).requiredAffinity;
  assert.equal(again!.selector.requirements.length, 2, "what the API server merged is kept once");

  const nullSelector: PodAffinityTerm = { topologyKey: "zone", matchLabelKeys: ["app"] };
  const [none] = parsePodAffinityTerms(podWithTerm(nullSelector, labels)).requiredAffinity;
  assert.ok(none!.selector.isNothing, "a null selector stays match-nothing");
});

Deno.test("parsePodAffinityTerms() empties a list with an invalid term and keeps the error", () => {
  const pod = testPod({
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: "zone", labelSelector: {} },
          {
            topologyKey: "zone",
            labelSelector: { matchExpressions: [{ key: "a", operator: "Bad" }] },
          },
        ],
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 5, podAffinityTerm: { topologyKey: "host", labelSelector: {} } },
        ],
      },
    },
  });
  const terms = parsePodAffinityTerms(pod);
  assert.equal(terms.requiredAntiAffinity.length, 0);
  assert.equal(terms.preferredAntiAffinity.length, 1);
  assert.equal(terms.preferredAntiAffinity[0]!.weight, 5);
  assert.equal(terms.errors.length, 1);
  assert.match(terms.errors[0]!, /^requiredAntiAffinityTerms: Invalid label selector: /);
});

Deno.test("parsePodAffinityTerms() shares the empty terms of pods without pod affinity", () => {
  assert.equal(parsePodAffinityTerms(testPod()), NO_AFFINITY_TERMS);
  assert.equal(newPodInfo(testPod()).affinityTerms, NO_AFFINITY_TERMS);
});

Deno.test("affinityTermMatches() checks namespaces, then the namespace selector, then labels", async (t) => {
  const [term] = parsePodAffinityTerms(podWithTerm({
    topologyKey: "zone",
    labelSelector: { matchLabels: { app: "db" } },
    namespaces: ["team-b"],
    namespaceSelector: { matchLabels: { env: "prod" } },
  })).requiredAffinity;
  const cases: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    nsLabels: Record<string, string> | undefined;
    want: boolean;
  }[] = [
    {
      name: "named namespace",
      namespace: "team-b",
      labels: { app: "db" },
      nsLabels: {},
      want: true,
    },
    {
      name: "selected namespace",
      namespace: "other",
      labels: { app: "db" },
      nsLabels: { env: "prod" },
      want: true,
    },
    {
      name: "namespace neither named nor selected",
      namespace: "other",
      labels: { app: "db" },
      nsLabels: { env: "dev" },
      want: false,
    },
    {
      name: "unknown namespace labels",
      namespace: "other",
      labels: { app: "db" },
      nsLabels: undefined,
      want: false,
    },
    {
      name: "labels not selected",
      namespace: "team-b",
      labels: { app: "web" },
      nsLabels: {},
      want: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const pod = testPod({ namespace: c.namespace, labels: c.labels });
      assert.equal(affinityTermMatches(term!, { pod, namespaceLabels: c.nsLabels }), c.want);
    });
  }
});
