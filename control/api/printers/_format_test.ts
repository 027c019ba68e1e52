import assert from "node:assert/strict";
import {
  accessModes,
  age,
  boolPtr,
  containerCells,
  controllerOf,
  formatLabels,
  formatLabelSelector,
  intOrString,
  labelSelectorString,
  listWithMore,
  loadBalancerIngress,
  parseTime,
  quantity,
  rfc3339,
  since,
} from "./_format.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");

Deno.test("parseTime() treats missing, invalid and Go zero times as unset", () => {
  assert.equal(parseTime("2024-06-01T11:55:00Z"), NOW - 300_000);
  assert.equal(parseTime("2024-06-01T11:59:59.250000Z"), NOW - 750);
  assert.equal(parseTime(undefined), undefined);
  assert.equal(parseTime(null), undefined);
  assert.equal(parseTime(""), undefined);
  assert.equal(parseTime("yesterday-ish"), undefined);
  assert.equal(parseTime("0001-01-01T00:00:00Z"), undefined);
  assert.equal(parseTime(1234), undefined);
});

Deno.test("since() and age() print HumanDuration or <unknown>", () => {
  assert.equal(since("2024-06-01T11:55:00Z", NOW), "5m");
  assert.equal(since("2024-05-30T09:00:00Z", NOW), "2d3h");
  assert.equal(since(undefined, NOW), "<unknown>");
  assert.equal(age({ metadata: { creationTimestamp: "2024-06-01T11:59:30Z" } }, NOW), "30s");
  assert.equal(age({}, NOW), "<unknown>");
  assert.equal(since("2024-06-01T12:00:10Z", NOW), "<invalid>");
});

Deno.test("rfc3339() prints UTC with whole seconds, Go's zero time when unset", () => {
  assert.equal(rfc3339("2024-06-01T14:00:00+02:00"), "2024-06-01T12:00:00Z");
  assert.equal(rfc3339("2024-06-01T12:00:00.987Z"), "2024-06-01T12:00:00Z");
  assert.equal(rfc3339(undefined), "0001-01-01T00:00:00Z");
});

Deno.test("formatLabels() sorts pairs and prints <none> when empty", () => {
  assert.equal(formatLabels({ tier: "web", app: "shop" }), "app=shop,tier=web");
  assert.equal(formatLabels({}), "<none>");
  assert.equal(formatLabels(undefined), "<none>");
  assert.equal(formatLabels({ a: 1, b: "x" }), "b=x");
});

Deno.test("labelSelectorString() prints requirements sorted by key", async (t) => {
  const cases: [string, unknown, string | undefined][] = [
    ["nil selector", undefined, ""],
    ["empty selector", {}, ""],
    ["match labels", { matchLabels: { b: "2", a: "1" } }, "a=1,b=2"],
    [
      "expressions",
      {
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["b", "a"] },
          { key: "env", operator: "DoesNotExist" },
          { key: "zone", operator: "NotIn", values: ["x"] },
          { key: "canary", operator: "Exists" },
        ],
      },
      "app=web,canary,!env,tier in (a,b),zone notin (x)",
    ],
    [
      "bad operator",
      { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] },
      undefined,
    ],
    ["In without values", { matchExpressions: [{ key: "a", operator: "In" }] }, undefined],
    ["Exists with values", {
      matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }],
    }, undefined],
    ["bad key", { matchLabels: { "-bad": "x" } }, undefined],
    ["bad value", { matchLabels: { ok: "not ok" } }, undefined],
  ];
  for (const [name, selector, want] of cases) {
    await t.step(name, () => assert.equal(labelSelectorString(selector), want));
  }
});

Deno.test("formatLabelSelector() prints <none> for empty and <error> for invalid selectors", () => {
  assert.equal(formatLabelSelector({ matchLabels: { app: "web" } }), "app=web");
  assert.equal(formatLabelSelector(undefined), "<none>");
  assert.equal(formatLabelSelector({}), "<none>");
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: "a", operator: "?" }] }), "<error>");
});

Deno.test("containerCells() joins names and images", () => {
  assert.deepEqual(
    containerCells([{ name: "web", image: "nginx" }, { name: "log", image: "busybox" }]),
    ["web,log", "nginx,busybox"],
  );
  assert.deepEqual(containerCells(undefined), ["", ""]);
});

Deno.test("quantity(), accessModes(), boolPtr() and intOrString() format like upstream", () => {
  assert.equal(quantity("10Gi"), "10Gi");
  assert.equal(quantity("1.5Gi"), "1536Mi");
  assert.equal(quantity("0.5"), "500m");
  assert.equal(quantity(2), "2");
  assert.equal(quantity("not-a-quantity"), "not-a-quantity");
  assert.equal(quantity(undefined), "0");
  assert.equal(accessModes(["ReadWriteOncePod", "ReadWriteOnce", "ReadWriteOnce"]), "RWO,RWOP");
  assert.equal(accessModes(["ReadWriteMany", "ReadOnlyMany"]), "ROX,RWX");
  assert.equal(accessModes(undefined), "");
  assert.equal(boolPtr(true), "True");
  assert.equal(boolPtr(false), "False");
  assert.equal(boolPtr(undefined), "<unset>");
  assert.equal(intOrString(2), "2");
  assert.equal(intOrString("50%"), "50%");
  assert.equal(intOrString(undefined), undefined);
});

Deno.test("listWithMore() shows three items then a count, <unset> for none", () => {
  assert.equal(listWithMore(["a", "b"], { count: 2, max: 3 }), "a,b");
  assert.equal(listWithMore(["a", "b", "c", "d", "e"], { count: 5, max: 3 }), "a,b,c + 2 more...");
  assert.equal(listWithMore([], { count: 0, max: 3 }), "<unset>");
});

Deno.test("loadBalancerIngress() sorts and de-duplicates IPs, else hostnames", () => {
  assert.equal(
    loadBalancerIngress({
      ingress: [{ ip: "10.0.0.9" }, { hostname: "lb.example.com" }, { ip: "10.0.0.1" }, {
        ip: "10.0.0.9",
      }],
    }),
    "10.0.0.1,10.0.0.9,lb.example.com",
  );
  assert.equal(loadBalancerIngress({}), "");
});

Deno.test("controllerOf() finds the owner reference with controller: true", () => {
  const ref = { kind: "ReplicaSet", name: "web-1", controller: true };
  assert.deepEqual(
    controllerOf({ metadata: { ownerReferences: [{ kind: "X", name: "y" }, ref] } }),
    ref,
  );
  assert.equal(controllerOf({ metadata: { ownerReferences: [{ kind: "X" }] } }), undefined);
});
