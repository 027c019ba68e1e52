import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  type PriorityClass,
  PriorityClass as PriorityClassSchema,
} from "../types/scheduling_v1.ts";
import {
  globalDefaultConflict,
  priorityClassStrategy,
  SYSTEM_PRIORITY_CLASSES,
  systemPriorityClassDeleteError,
  validatePriorityClass,
} from "./priority_class.ts";

function pc(name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass {
  return { metadata: { name }, value, preemptionPolicy: "PreemptLowerPriority", ...extra };
}

Deno.test("PriorityClass defaults preemptionPolicy to PreemptLowerPriority", () => {
  assert.equal(PriorityClassSchema.fields.preemptionPolicy.default, "PreemptLowerPriority");
  assert.equal(PriorityClassSchema.fields.value.required, true);
});

Deno.test("validatePriorityClass() reports upstream's messages", async (t) => {
  const cases: { name: string; pc: PriorityClass; want: string[] }[] = [
    { name: "a user class", pc: pc("high", 1000000000), want: [] },
    {
      name: "a user value above the limit",
      pc: pc("higher", 1000000001),
      want: ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"],
    },
    {
      name: "an unknown system- name",
      pc: pc("system-mine", 10),
      want: [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
      ],
    },
    {
      name: "a system class with the wrong value",
      pc: pc("system-node-critical", 10),
      want: [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000",
      ],
    },
    {
      name: "a system class marked default",
      pc: pc("system-cluster-critical", 2000000000, { globalDefault: true }),
      want: [
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(validatePriorityClass(c.pc).map(String), c.want));
  }
  await t.step("the built-in system classes", () => {
    for (const s of SYSTEM_PRIORITY_CLASSES) assert.deepEqual(validatePriorityClass(s), []);
  });
});

Deno.test("priorityClassStrategy keeps value and preemptionPolicy immutable", () => {
  const errs = priorityClassStrategy.validateUpdate!(
    pc("p", 2, { preemptionPolicy: "Never" }) as KubeObject,
    pc("p", 1) as KubeObject,
  );
  assert.deepEqual(errs.map(String), [
    "value: Forbidden: may not be changed in an update.",
    'preemptionPolicy: Invalid value: "Never": field is immutable',
  ]);
});

Deno.test("globalDefaultConflict() allows one global default", async (t) => {
  const first = pc("first", 10, { globalDefault: true });
  const second = pc("second", 20, { globalDefault: true });
  await t.step("a second default on create", () => {
    assert.equal(
      globalDefaultConflict(second, { existing: [first], operation: "create" }),
      "PriorityClass first is already marked as default. Only one default can exist",
    );
  });
  await t.step("marking another class default on update", () => {
    assert.equal(
      globalDefaultConflict(second, { existing: [first, pc("second", 20)], operation: "update" }),
      "PriorityClass first is already marked as default. Only one default can exist",
    );
  });
  await t.step("updating the default itself", () => {
    assert.equal(globalDefaultConflict(first, { existing: [first], operation: "update" }), null);
  });
  await t.step("a class that is not a default", () => {
    assert.equal(
      globalDefaultConflict(pc("x", 1), { existing: [first], operation: "create" }),
      null,
    );
  });
});

Deno.test("systemPriorityClassDeleteError() protects only system classes", () => {
  assert.equal(
    systemPriorityClassDeleteError("system-node-critical"),
    "this is a system priority class and cannot be deleted",
  );
  assert.equal(systemPriorityClassDeleteError("high"), null);
});
