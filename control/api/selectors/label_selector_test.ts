import assert from "node:assert/strict";
import {
  fromLabelSelectorObject,
  parseLabelSelector,
  SelectorParseError,
} from "./label_selector.ts";

Deno.test("parseLabelSelector() parses every operator", async (t) => {
  const cases: [string, Record<string, string>, boolean][] = [
    ["app=web", { app: "web" }, true],
    ["app==web", { app: "web" }, true],
    ["app=web", { app: "db" }, false],
    ["app!=web", { app: "db" }, true],
    ["app!=web", {}, true],
    ["app!=web", { app: "web" }, false],
    ["tier in (a, b)", { tier: "b" }, true],
    ["tier in (a,b)", { tier: "c" }, false],
    ["tier in (a,b)", {}, false],
    ["tier notin (a,b)", {}, true],
    ["tier notin (a,b)", { tier: "a" }, false],
    ["app", { app: "" }, true],
    ["app", {}, false],
    ["!app", {}, true],
    ["!app", { app: "x" }, false],
    ["n>3", { n: "4" }, true],
    ["n<3", { n: "4" }, false],
    ["app=web, tier in (a), !legacy", { app: "web", tier: "a" }, true],
    ["app=web,tier in (a),!legacy", { app: "web", tier: "a", legacy: "1" }, false],
    ["app.kubernetes.io/name=skiff", { "app.kubernetes.io/name": "skiff" }, true],
    ["app=", { app: "" }, true],
    ["", { any: "thing" }, true],
  ];
  for (const [sel, labels, want] of cases) {
    await t.step(`${sel} on ${JSON.stringify(labels)}`, () => {
      assert.equal(parseLabelSelector(sel).matches(labels), want);
    });
  }
});

Deno.test("parseLabelSelector() refuses malformed selectors", async (t) => {
  for (
    const bad of [
      "app=web=x",
      "tier in a",
      "tier in (a",
      "=x",
      "a b",
      "Bad Key=1",
      "a=b c",
      "n>x",
      "app=-x",
    ]
  ) {
    await t.step(bad, () => assert.throws(() => parseLabelSelector(bad), SelectorParseError));
  }
});

Deno.test("LabelMatcher.toString() renders the canonical form", () => {
  assert.equal(parseLabelSelector("a=1,b in (y,x),!c,d").toString(), "a=1,b in (x,y),!c,d");
});

Deno.test("fromLabelSelectorObject() follows LabelSelectorAsSelector", () => {
  assert.equal(fromLabelSelectorObject(null), null);
  assert.equal(fromLabelSelectorObject({})!.matches({ x: "y" }), true);
  const sel = fromLabelSelectorObject({
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "tier", operator: "In", values: ["front"] },
      { key: "old", operator: "DoesNotExist" },
    ],
  })!;
  assert.equal(sel.matches({ app: "web", tier: "front" }), true);
  assert.equal(sel.matches({ app: "web", tier: "front", old: "1" }), false);
  assert.throws(
    () => fromLabelSelectorObject({ matchExpressions: [{ key: "a", operator: "Gt" }] }),
    SelectorParseError,
  );
});

Deno.test("parseLabelSelector() reports errors with apimachinery's messages", async (t) => {
  const KEY_RULE =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const VALUE_RULE =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  const cases: [string, string][] = [
    ["a=b,", "found '', expected: identifier after ','"],
    [",", "found ',', expected: !, identifier, or 'end of string'"],
    ["=x", "found '=', expected: !, identifier, or 'end of string'"],
    ["a=b=c", "found '=', expected: ',' or 'end of string'"],
    ["a=b c", "found 'c', expected: ',' or 'end of string'"],
    ["!a=b", "found '=', expected: ',' or 'end of string'"],
    ["a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["a!", "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ["!", "unable to parse requirement: found '', expected: identifier"],
    ["a==!", "unable to parse requirement: found '!', expected: identifier"],
    ["a in b", "unable to parse requirement: found 'b' expected: '('"],
    ["a in (b", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ["a in (=", "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ["a in (b,=)", "unable to parse requirement: found '=', expected: ',', or identifier"],
    ["-a", `unable to parse requirement: <nil>: Invalid value: "-a": ${KEY_RULE}`],
    ["app=-x", `unable to parse requirement: values[0][app]: Invalid value: "-x": ${VALUE_RULE}`],
    // Values are checked in sorted order.
    [
      "app in (b, -x)",
      `unable to parse requirement: values[0][app]: Invalid value: "-x": ${VALUE_RULE}`,
    ],
    [
      "app in (a, z-)",
      `unable to parse requirement: values[1][app]: Invalid value: "z-": ${VALUE_RULE}`,
    ],
    [
      "n>x",
      `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
  ];
  for (const [input, message] of cases) {
    await t.step(input, () => {
      assert.throws(() => parseLabelSelector(input), { name: "SelectorParseError", message });
    });
  }
});

Deno.test("parseLabelSelector() accepts what apimachinery's grammar accepts", async (t) => {
  const cases: [string, string][] = [
    ["", ""],
    ["  ", ""],
    ["x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"],
    ["a in (,)", "a in ()"],
    ["a in (c, b, b)", "a in (b,c)"],
    // `in` and `notin` are plain identifiers where a key or value is expected.
    ["in in (in)", "in in (in)"],
    ["notin=x", "notin=x"],
    ["a=", "a="],
    ["a!=,b", "a!=,b"],
    ["a\t==\nb", "a=b"],
    // Requirements come out sorted by key.
    ["z=1,a=2,!m", "a=2,!m,z=1"],
    ["n>5,n<10", "n>5,n<10"],
  ];
  for (const [input, canonical] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.equal(parseLabelSelector(input).toString(), canonical);
    });
  }
});

Deno.test("fromLabelSelectorObject() sorts requirements by key, as LabelSelectorAsSelector", () => {
  const sel = fromLabelSelectorObject({
    matchLabels: { tier: "web", app: "shop" },
    matchExpressions: [{ key: "env", operator: "In", values: ["prod", "dev"] }],
  })!;
  assert.equal(sel.toString(), "app=shop,env in (dev,prod),tier=web");
});
