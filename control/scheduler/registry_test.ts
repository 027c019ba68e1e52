import assert from "node:assert/strict";
import {
  DEFAULT_SCORE_WEIGHTS,
  defaultPlugins,
  defaultProfile,
  newInTreeRegistry,
  UPSTREAM_DEFAULT_PLUGINS,
} from "./registry.ts";
import { newFramework } from "./runtime.ts";

Deno.test("the default profile enables upstream's plugins, in upstream's order and weights", () => {
  const profile = defaultProfile();
  assert.equal(profile.schedulerName, "default-scheduler");
  assert.deepEqual(profile.plugins, [
    { name: "SchedulingGates" },
    { name: "PrioritySort" },
    { name: "NodeUnschedulable" },
    { name: "NodeName" },
    { name: "TaintToleration", weight: 3 },
    { name: "NodeAffinity", weight: 2 },
    { name: "NodePorts" },
    { name: "NodeResourcesFit", weight: 1 },
    { name: "PodTopologySpread", weight: 2 },
    { name: "InterPodAffinity", weight: 2 },
    { name: "DefaultPreemption" },
    { name: "NodeResourcesBalancedAllocation", weight: 1 },
    { name: "ImageLocality", weight: 1 },
    { name: "DefaultBinder" },
  ]);
  const framework = newFramework(profile, { registry: newInTreeRegistry() });
  assert.deepEqual(framework.listPlugins(), {
    queueSort: ["PrioritySort"],
    preFilter: [
      "NodeAffinity",
      "NodePorts",
      "NodeResourcesFit",
      "PodTopologySpread",
      "InterPodAffinity",
    ],
    filter: [
      "NodeUnschedulable",
      "NodeName",
      "TaintToleration",
      "NodeAffinity",
      "NodePorts",
      "NodeResourcesFit",
      "PodTopologySpread",
      "InterPodAffinity",
    ],
    postFilter: ["DefaultPreemption"],
    preScore: [
      "TaintToleration",
      "NodeAffinity",
      "NodeResourcesFit",
      "PodTopologySpread",
      "InterPodAffinity",
      "NodeResourcesBalancedAllocation",
    ],
    score: [
      "TaintToleration",
      "NodeAffinity",
      "NodeResourcesFit",
      "PodTopologySpread",
      "InterPodAffinity",
      "NodeResourcesBalancedAllocation",
      "ImageLocality",
    ],
    reserve: [],
    permit: [],
    preBind: [],
    bind: ["DefaultBinder"],
    postBind: [],
  });
  assert.equal(framework.scoreWeight("TaintToleration"), 3);
  assert.equal(framework.scoreWeight("ImageLocality"), 1);
});

Deno.test("the weights table keeps the plugins still to be built", () => {
  assert.equal(DEFAULT_SCORE_WEIGHTS["InterPodAffinity"], 2);
  assert.equal(DEFAULT_SCORE_WEIGHTS["PodTopologySpread"], 2);
  const upstream = UPSTREAM_DEFAULT_PLUGINS.map((p) => p.name);
  assert.ok(upstream.indexOf("PodTopologySpread") < upstream.indexOf("InterPodAffinity"));
  const withSpread = new Map(newInTreeRegistry());
  withSpread.set("PodTopologySpread", () => ({ name: "PodTopologySpread" }));
  const names = defaultPlugins(withSpread).map((p) => p.name);
  assert.deepEqual(
    names.slice(names.indexOf("NodeResourcesFit"), names.indexOf("NodeResourcesFit") + 2),
    [
      "NodeResourcesFit",
      "PodTopologySpread",
    ],
  );
  assert.deepEqual(defaultPlugins(withSpread).find((p) => p.name === "PodTopologySpread"), {
    name: "PodTopologySpread",
    weight: 2,
  });
});

Deno.test("every in-tree factory builds the plugin it is registered under", () => {
  const handle = { snapshot: () => undefined as never };
  for (const [name, factory] of newInTreeRegistry()) {
    assert.equal(factory(undefined, handle).name, name);
  }
});

Deno.test("defaultProfile() merges plugin changes and passes args and percentage through", () => {
  const profile = defaultProfile({
    schedulerName: "edge",
    plugins: {
      disabled: [{ name: "ImageLocality" }],
      enabled: [{ name: "NodeAffinity", weight: 5 }],
    },
    pluginConfig: { NodeResourcesFit: { scoringStrategy: { type: "MostAllocated" } } },
    percentageOfNodesToScore: 50,
  });
  assert.equal(profile.schedulerName, "edge");
  assert.ok(!profile.plugins.some((p) => p.name === "ImageLocality"));
  assert.deepEqual(profile.plugins.find((p) => p.name === "NodeAffinity"), {
    name: "NodeAffinity",
    weight: 5,
  });
  const framework = newFramework(profile, { registry: newInTreeRegistry() });
  assert.equal(framework.percentageOfNodesToScore, 50);
  assert.equal(framework.profileName, "edge");
});
