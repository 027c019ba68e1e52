import assert from "node:assert/strict";
import { mergePluginSet, type PluginRef, type PluginSet, validateProfile } from "./profile.ts";

const DEFAULTS: PluginRef[] = [{ name: "A" }, { name: "B", weight: 2 }, { name: "C", weight: 1 }];

Deno.test("mergePluginSet() merges a custom set into the defaults as upstream", async (t) => {
  const cases: { name: string; custom?: PluginSet; want: PluginRef[] }[] = [
    { name: "no changes", want: DEFAULTS },
    {
      name: "disable one",
      custom: { disabled: [{ name: "B" }] },
      want: [{ name: "A" }, { name: "C", weight: 1 }],
    },
    {
      name: "re-configure in place",
      custom: { enabled: [{ name: "B", weight: 7 }] },
      want: [{ name: "A" }, { name: "B", weight: 7 }, { name: "C", weight: 1 }],
    },
    {
      name: "append a new one",
      custom: { enabled: [{ name: "D", weight: 3 }] },
      want: [...DEFAULTS, { name: "D", weight: 3 }],
    },
    {
      name: "disable all and enable some",
      custom: { disabled: [{ name: "*" }], enabled: [{ name: "C" }, { name: "A" }] },
      want: [{ name: "C" }, { name: "A" }],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.deepEqual(mergePluginSet(DEFAULTS, c.custom), c.want));
  }
});

Deno.test("validateProfile() refuses bad profiles with a clear message", async (t) => {
  const cases: { name: string; profile: unknown; error: RegExp }[] = [
    {
      name: "empty scheduler name",
      profile: { schedulerName: "", plugins: [] },
      error: /Invalid scheduler profile "": schedulerName: must not be empty/,
    },
    {
      name: "weight out of range",
      profile: { schedulerName: "s", plugins: [{ name: "A", weight: 101 }] },
      error: /Invalid scheduler profile "s": plugins\.0\.weight:/,
    },
    {
      name: "percentage out of range",
      profile: { schedulerName: "s", plugins: [], percentageOfNodesToScore: 120 },
      error: /percentageOfNodesToScore/,
    },
    {
      name: "a plugin twice",
      profile: { schedulerName: "s", plugins: [{ name: "A" }, { name: "A" }] },
      error: /plugin "A" is enabled twice/,
    },
    {
      name: "unknown field",
      profile: { schedulerName: "s", plugins: [], extra: 1 },
      error: /Invalid scheduler profile "s"/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.throws(() => validateProfile(c.profile as never), (err: unknown) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, c.error);
        return true;
      });
    });
  }
});
