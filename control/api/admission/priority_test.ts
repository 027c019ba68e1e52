import assert from "node:assert/strict";
import type { Pod } from "../types/core_v1_pod.ts";
import type { PriorityClass } from "../types/scheduling_v1.ts";
import { attrs, def, rejection, testViews } from "./_test_fixtures.ts";
import { defaultPriorityClass, PriorityAdmission, systemPriorityClasses } from "./priority.ts";

const PODS = def("", "pods");
const CLASSES = def("scheduling.k8s.io", "priorityclasses");

function pc(name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass {
  return {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name },
    value,
    preemptionPolicy: "PreemptLowerPriority",
    ...extra,
  };
}

function pod(spec: Partial<Pod["spec"]> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  };
}

Deno.test("systemPriorityClasses() are upstream's two classes, as copies", () => {
  const classes = systemPriorityClasses();
  assert.deepEqual(classes.map((c) => [c.metadata?.name, c.value]), [
    ["system-node-critical", 2000001000],
    ["system-cluster-critical", 2000000000],
  ]);
  classes[0]!.value = 1;
  assert.equal(systemPriorityClasses()[0]!.value, 2000001000);
});

Deno.test("defaultPriorityClass() picks the lowest-valued default", () => {
  assert.equal(defaultPriorityClass([pc("a", 10)]), undefined);
  assert.equal(
    defaultPriorityClass([
      pc("high", 100, { globalDefault: true }),
      pc("low", 5, { globalDefault: true }),
      pc("none", 1),
    ])?.metadata?.name,
    "low",
  );
});

Deno.test("PriorityAdmission.admit() resolves a new pod's priority", async (t) => {
  const cases: {
    name: string;
    classes: PriorityClass[];
    spec: Partial<Pod["spec"]>;
    want: { priorityClassName?: string; priority: number; preemptionPolicy: string };
  }[] = [
    {
      name: "no class and no default",
      classes: [],
      spec: {},
      want: { priority: 0, preemptionPolicy: "PreemptLowerPriority" },
    },
    {
      name: "the global default",
      classes: [pc("batch", 100, { globalDefault: true, preemptionPolicy: "Never" })],
      spec: {},
      want: { priorityClassName: "batch", priority: 100, preemptionPolicy: "Never" },
    },
    {
      name: "a named class",
      classes: [pc("web", 1000), pc("batch", 100, { globalDefault: true })],
      spec: { priorityClassName: "web" },
      want: { priorityClassName: "web", priority: 1000, preemptionPolicy: "PreemptLowerPriority" },
    },
    {
      name: "a system class, in any namespace",
      classes: systemPriorityClasses(),
      spec: { priorityClassName: "system-cluster-critical" },
      want: {
        priorityClassName: "system-cluster-critical",
        priority: 2000000000,
        preemptionPolicy: "PreemptLowerPriority",
      },
    },
    {
      name: "a matching priority sent",
      classes: [pc("web", 1000)],
      spec: { priorityClassName: "web", priority: 1000 },
      want: { priorityClassName: "web", priority: 1000, preemptionPolicy: "PreemptLowerPriority" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using v = await testViews({ priorityclasses: c.classes });
      const p = pod(c.spec);
      await new PriorityAdmission({ views: v.views }).admit(
        attrs("CREATE", { def: PODS, object: p, namespace: "apps" }),
      );
      assert.equal(p.spec?.priorityClassName, c.want.priorityClassName);
      assert.equal(p.spec?.priority, c.want.priority);
      assert.equal(p.spec?.preemptionPolicy, c.want.preemptionPolicy);
    });
  }
});

Deno.test("PriorityAdmission.admit() refuses what does not match", async (t) => {
  await using v = await testViews({ priorityclasses: [pc("web", 1000)] });
  const plugin = new PriorityAdmission({ views: v.views });
  const cases: { name: string; spec: Partial<Pod["spec"]>; message: string }[] = [
    {
      name: "unknown class",
      spec: { priorityClassName: "nope" },
      message: 'pods "web" is forbidden: no PriorityClass with name nope was found',
    },
    {
      name: "other priority",
      spec: { priorityClassName: "web", priority: 5 },
      message:
        'pods "web" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    },
    {
      name: "other preemption policy",
      spec: { priorityClassName: "web", preemptionPolicy: "Never" },
      message:
        'pods "web" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const err = await rejection(
        plugin.admit(attrs("CREATE", { def: PODS, object: pod(c.spec) })),
      );
      assert.equal(err.code, 403);
      assert.equal(err.message, c.message);
    });
  }
});

Deno.test("PriorityAdmission.admit() keeps the stored priority on update", async () => {
  await using v = await testViews();
  const old = pod({ priority: 7, preemptionPolicy: "Never" });
  const next = pod();
  await new PriorityAdmission({ views: v.views }).admit(
    attrs("UPDATE", { def: PODS, object: next, oldObject: old }),
  );
  assert.equal(next.spec?.priority, 7);
  assert.equal(next.spec?.preemptionPolicy, "Never");
});

Deno.test("PriorityAdmission.validate() allows one global default", async (t) => {
  await using v = await testViews({ priorityclasses: [pc("batch", 100, { globalDefault: true })] });
  const plugin = new PriorityAdmission({ views: v.views });
  await t.step("a second default is refused", async () => {
    const err = await rejection(
      plugin.validate(
        attrs("CREATE", {
          def: CLASSES,
          object: pc("web", 10, { globalDefault: true }),
          namespace: "",
        }),
      ),
    );
    assert.equal(
      err.message,
      'priorityclasses.scheduling.k8s.io "web" is forbidden: PriorityClass batch is already marked as default. Only one default can exist',
    );
  });
  await t.step("the default itself may be updated", async () => {
    const same = pc("batch", 100, { globalDefault: true, description: "new" });
    await plugin.validate(
      attrs("UPDATE", { def: CLASSES, object: same, oldObject: same, namespace: "" }),
    );
  });
  await t.step("a non-default class is fine", async () => {
    await plugin.validate(attrs("CREATE", { def: CLASSES, object: pc("web", 10), namespace: "" }));
  });
});

Deno.test("PriorityAdmission.validate() refuses deleting a system class", async (t) => {
  await using v = await testViews({ priorityclasses: [...systemPriorityClasses(), pc("web", 1)] });
  const plugin = new PriorityAdmission({ views: v.views });
  for (const name of ["system-node-critical", "system-cluster-critical"]) {
    await t.step(name, async () => {
      const err = await rejection(
        plugin.validate(
          attrs("DELETE", { def: CLASSES, name, namespace: "", oldObject: pc(name, 1) }),
        ),
      );
      assert.equal(err.code, 403);
      assert.equal(
        err.message,
        `priorityclasses.scheduling.k8s.io "${name}" is forbidden: this is a system priority class and cannot be deleted`,
      );
    });
  }
  await t.step("another class", async () => {
    await plugin.validate(
      attrs("DELETE", { def: CLASSES, name: "web", namespace: "", oldObject: pc("web", 1) }),
    );
  });
});
