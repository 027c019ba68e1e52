import assert from "node:assert/strict";
import type { Toleration } from "../types/core_v1_common.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import { attrs, def } from "./_test_fixtures.ts";
import { addDefaultTolerations, DefaultTolerationSeconds } from "./default_toleration_seconds.ts";

const NOT_READY: Toleration = {
  key: "node.kubernetes.io/not-ready",
  operator: "Exists",
  effect: "NoExecute",
  tolerationSeconds: 300,
};
const UNREACHABLE: Toleration = {
  key: "node.kubernetes.io/unreachable",
  operator: "Exists",
  effect: "NoExecute",
  tolerationSeconds: 300,
};

function pod(tolerations?: Toleration[]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: {
      containers: [{ name: "app", image: "nginx" }],
      ...(tolerations ? { tolerations } : {}),
    },
  };
}

Deno.test("addDefaultTolerations() adds what the pod does not tolerate yet", async (t) => {
  const own = {
    key: "node.kubernetes.io/not-ready",
    operator: "Exists",
    effect: "NoExecute",
    tolerationSeconds: 10,
  };
  const cases: { name: string; given: Toleration[] | undefined; want: Toleration[] }[] = [
    { name: "none", given: undefined, want: [NOT_READY, UNREACHABLE] },
    { name: "own not-ready kept", given: [own], want: [own, UNREACHABLE] },
    {
      name: "an empty key with NoExecute tolerates both",
      given: [{ operator: "Exists", effect: "NoExecute" }],
      want: [{ operator: "Exists", effect: "NoExecute" }],
    },
    {
      name: "an empty effect for the key counts",
      given: [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }],
      want: [{ key: "node.kubernetes.io/unreachable", operator: "Exists" }, NOT_READY],
    },
    {
      name: "NoSchedule does not count",
      given: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" }],
      want: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" },
        NOT_READY,
        UNREACHABLE,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const spec: { tolerations?: Toleration[] } = c.given ? { tolerations: c.given } : {};
      addDefaultTolerations(spec);
      assert.deepEqual(spec.tolerations, c.want);
    });
  }
});

Deno.test("addDefaultTolerations() takes other durations", () => {
  const spec: { tolerations?: Toleration[] } = {};
  addDefaultTolerations(spec, { notReadySeconds: 60, unreachableSeconds: 120 });
  assert.deepEqual(spec.tolerations?.map((t) => t.tolerationSeconds), [60, 120]);
});

Deno.test("DefaultTolerationSeconds.admit() runs on pod creates and updates only", async (t) => {
  const plugin = new DefaultTolerationSeconds();
  const cases: { name: string; a: ReturnType<typeof attrs>; changed: boolean }[] = [
    { name: "create", a: attrs("CREATE", { def: def("", "pods"), object: pod() }), changed: true },
    {
      name: "update",
      a: attrs("UPDATE", { def: def("", "pods"), object: pod(), oldObject: pod() }),
      changed: true,
    },
    {
      name: "status",
      a: attrs("UPDATE", {
        def: def("", "pods"),
        object: pod(),
        oldObject: pod(),
        subresource: "status",
      }),
      changed: false,
    },
    {
      name: "another kind",
      a: attrs("CREATE", { def: def("", "podtemplates"), object: pod() }),
      changed: false,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await plugin.admit(c.a);
      const tolerations = (c.a.object as Pod).spec?.tolerations;
      assert.deepEqual(tolerations, c.changed ? [NOT_READY, UNREACHABLE] : undefined);
    });
  }
});
