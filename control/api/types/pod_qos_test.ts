import assert from "node:assert/strict";
import { qosClassOf, type QosContainer } from "./pod_qos.ts";

function res(
  requests?: Record<string, string>,
  limits?: Record<string, string>,
): QosContainer {
  return { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } };
}

Deno.test("qosClassOf() classifies pods as upstream ComputePodQOS", async (t) => {
  const full = { cpu: "1", memory: "1Gi" };
  const cases: {
    name: string;
    containers: QosContainer[];
    init?: QosContainer[];
    want: string;
  }[] = [
    { name: "no resources is BestEffort", containers: [{}], want: "BestEffort" },
    {
      name: "only extended resources is BestEffort",
      containers: [res({ "example.com/gpu": "1" }, { "example.com/gpu": "1" })],
      want: "BestEffort",
    },
    {
      name: "zero requests are ignored",
      containers: [res({ cpu: "0", memory: "0" })],
      want: "BestEffort",
    },
    {
      name: "equal requests and limits is Guaranteed",
      containers: [res(full, full)],
      want: "Guaranteed",
    },
    {
      name: "equal values in other units are Guaranteed",
      containers: [res({ cpu: "1000m", memory: "1024Mi" }, full)],
      want: "Guaranteed",
    },
    { name: "requests only is Burstable", containers: [res(full)], want: "Burstable" },
    {
      name: "requests below limits is Burstable",
      containers: [res({ cpu: "500m", memory: "1Gi" }, full)],
      want: "Burstable",
    },
    {
      name: "a limit on cpu only is Burstable",
      containers: [res({ cpu: "1" }, { cpu: "1" })],
      want: "Burstable",
    },
    {
      name: "one unlimited container makes the pod Burstable",
      containers: [res(full, full), res({ cpu: "1" })],
      want: "Burstable",
    },
    {
      name: "init containers count",
      containers: [res(full, full)],
      init: [res({ cpu: "100m" })],
      want: "Burstable",
    },
    {
      name: "sums across containers must match",
      containers: [res(full, full), res(full, full)],
      want: "Guaranteed",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const pod = { spec: { containers: c.containers, initContainers: c.init ?? [] } };
      assert.equal(qosClassOf(pod), c.want);
    });
  }
});
