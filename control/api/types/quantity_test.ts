import assert from "node:assert/strict";
import {
  canonicalQuantity,
  Quantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_NUMERIC_ERROR,
  QUANTITY_SUFFIX_ERROR,
} from "./quantity.ts";

Deno.test("canonicalQuantity() prints the canonical form upstream prints", async (t) => {
  const cases: [string, string][] = [
    ["0", "0"],
    ["0m", "0"],
    ["0Ki", "0"],
    ["-0", "0"],
    ["00", "0"],
    ["1", "1"],
    ["0.5", "500m"],
    ["1000m", "1"],
    ["1500m", "1500m"],
    ["1.5", "1500m"],
    ["1.5Gi", "1536Mi"],
    ["0.1Gi", "107374182400m"],
    ["0.5Mi", "512Ki"],
    ["1Ki", "1Ki"],
    ["1024Mi", "1Gi"],
    ["1025Ki", "1025Ki"],
    ["8Ki", "8Ki"],
    ["2048", "2048"],
    ["1e3", "1e3"],
    ["1E3", "1E3"],
    ["1000e0", "1e3"],
    ["1.5e3", "1500"],
    ["12e6", "12e6"],
    ["1E-3", "1E-3"],
    ["10e2", "1e3"],
    ["0.5e0", "500e-3"],
    ["100M", "100M"],
    ["1000M", "1G"],
    ["50k", "50k"],
    ["0.001", "1m"],
    [".001", "1m"],
    ["1.", "1."],
    ["1.0", "1"],
    ["1.G", "1.G"],
    ["1.50G", "1500M"],
    ["100.035k", "100.035k"],
    ["100.0350k", "100035"],
    ["7.123456M", "7.123456M"],
    ["7.1234560M", "7123456"],
    ["3.001n", "4n"],
    ["0.9n", "1n"],
    ["0.00000012345", "124n"],
    [".001Ki", "1024m"],
    [".000000000001Ki", "2n"],
    ["9Ei", "9223372036854775807"],
    ["8Ei", "9223372036854775807"],
    ["7Ei", "7Ei"],
    ["1000E", "1e21"],
    ["-1.5", "-1500m"],
    ["-1.5Gi", "-1536Mi"],
    ["-100m", "-100m"],
    ["128974848", "128974848"],
    ["129e6", "129e6"],
    ["129M", "129M"],
    ["123Mi", "123Mi"],
    ["250m", "250m"],
    ["2", "2"],
    ["Mi", "0"],
    ["-", "0"],
    // Upstream keeps a canonical-looking text as written, sign included.
    ["+1", "+1"],
    ["01", "01"],
  ];
  for (const [input, want] of cases) {
    await t.step(`${input} → ${want}`, () => assert.equal(canonicalQuantity(input), want));
  }
});

Deno.test("canonicalQuantity() accepts JSON numbers and trims strings", async (t) => {
  const cases: [string | number, string][] = [
    [1, "1"],
    [0.5, "500m"],
    [1e21, "1e21"],
    [-0, "0"],
    [1.5, "1500m"],
    [" 1", "1"],
    ["1 ", "1"],
  ];
  for (const [input, want] of cases) {
    await t.step(`${JSON.stringify(input)}`, () => assert.equal(canonicalQuantity(input), want));
  }
});

Deno.test("Quantity.parse() rejects what upstream rejects, with its messages", async (t) => {
  const cases: [string, string][] = [
    ["", QUANTITY_FORMAT_ERROR],
    ["1.1.M", QUANTITY_FORMAT_ERROR],
    ["1+1.0M", QUANTITY_FORMAT_ERROR],
    ["aoeu", QUANTITY_FORMAT_ERROR],
    ["-3.01e-", QUANTITY_SUFFIX_ERROR],
    ["1e3.5", QUANTITY_FORMAT_ERROR],
    [" 1", QUANTITY_FORMAT_ERROR],
    ["1 ", QUANTITY_FORMAT_ERROR],
    ["0.1mi", QUANTITY_SUFFIX_ERROR],
    ["0.1am", QUANTITY_FORMAT_ERROR],
    [".5i", QUANTITY_SUFFIX_ERROR],
    ["1i", QUANTITY_SUFFIX_ERROR],
    ["1EE", QUANTITY_SUFFIX_ERROR],
    [".Ei", QUANTITY_NUMERIC_ERROR],
  ];
  for (const [input, message] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.throws(
        () => Quantity.parse(input),
        (e) => e instanceof SyntaxError && e.message === message,
      );
    });
  }
  assert.throws(() => canonicalQuantity(Number.NaN), SyntaxError);
});

Deno.test("Quantity.parse() records the format", () => {
  assert.equal(Quantity.parse("1Gi").format, "BinarySI");
  assert.equal(Quantity.parse("1G").format, "DecimalSI");
  assert.equal(Quantity.parse("1e9").format, "DecimalExponent");
  // A binary fraction below one is printed as decimal.
  assert.equal(Quantity.parse("0.000000000001Ki").format, "DecimalSI");
});

Deno.test("Quantity.cmp() orders by value, across formats and exponents", async (t) => {
  const cases: [string, string, number][] = [
    ["0", "0", 0],
    ["100m", "50m", 1],
    ["50m", "100m", -1],
    ["10000T", "100Gi", 1],
    ["1Ki", "1024", 0],
    ["1e3", "1k", 0],
    ["-1", "1m", -1],
    ["-2", "-1", -1],
    ["1e1000000000", "1", 1],
    ["1e-3", "1m", 0],
  ];
  for (const [a, b, want] of cases) {
    await t.step(`${a} vs ${b}`, () => {
      assert.equal(Quantity.parse(a).cmp(Quantity.parse(b)), want);
      assert.equal(Quantity.parse(b).cmp(Quantity.parse(a)), want === 0 ? 0 : -want);
    });
  }
});

Deno.test("Quantity.add() and sub() are exact and keep the format", async (t) => {
  const cases: [string, "add" | "sub", string, string][] = [
    ["100m", "add", "0", "100m"],
    ["0", "add", "100m", "100m"],
    ["1Gi", "add", "0", "1Gi"],
    ["0", "add", "1Gi", "1Gi"],
    ["1Gi", "sub", "0", "1Gi"],
    ["0", "sub", "1Gi", "-1Gi"],
    ["1", "add", "500m", "1500m"],
    ["1Gi", "add", "512Mi", "1536Mi"],
    ["2", "sub", "2500m", "-500m"],
    ["0.1", "add", "0.2", "300m"],
  ];
  for (const [a, op, b, want] of cases) {
    await t.step(`${a} ${op} ${b}`, () => {
      const qa = Quantity.parse(a);
      const qb = Quantity.parse(b);
      assert.equal((op === "add" ? qa.add(qb) : qa.sub(qb)).toString(), want);
    });
  }
});

Deno.test("Quantity.value() and milliValue() round up away from zero", async (t) => {
  const cases: [string, bigint, bigint][] = [
    ["1", 1n, 1000n],
    ["1500m", 2n, 1500n],
    ["1.5", 2n, 1500n],
    ["1n", 1n, 1n],
    ["0", 0n, 0n],
    ["1Ki", 1024n, 1024000n],
    ["-1.5", -2n, -1500n],
    ["1e-30", 1n, 1n],
    ["9223372036854775807k", 9223372036854775807000n, 9223372036854775807000000n],
  ];
  for (const [input, value, milli] of cases) {
    await t.step(input, () => {
      const q = Quantity.parse(input);
      assert.equal(q.value(), value);
      assert.equal(q.milliValue(), milli);
    });
  }
});

Deno.test("Quantity.isZero(), sign() and neg() read and flip the sign", () => {
  assert.ok(Quantity.parse("0Mi").isZero());
  assert.ok(!Quantity.parse("1n").isZero());
  assert.equal(Quantity.parse("-1").sign(), -1);
  assert.equal(Quantity.parse("9.01").neg().toString(), "-9010m");
});

Deno.test("new Quantity() builds a scaled value; JSON prints the canonical string", () => {
  const q = new Quantity(250n, { exponent: -3 });
  assert.equal(q.toString(), "250m");
  assert.equal(new Quantity(1024n, { format: "BinarySI" }).toString(), "1Ki");
  assert.equal(new Quantity(1_000_000n, { exponent: -3, format: "BinarySI" }).toString(), "1k");
  assert.equal(
    new Quantity(1_048_576n, { exponent: -3, format: "BinarySI" }).toString(),
    "1048576m",
  );
  assert.equal(JSON.stringify({ cpu: q }), '{"cpu":"250m"}');
});

Deno.test("Quantity.parse() keeps huge exponents without expanding them", () => {
  assert.equal(Quantity.parse("1e999999999").toString(), "1e999999999");
  // Not a multiple of three: upstream moves one digit into the mantissa.
  assert.equal(Quantity.parse("1e1000000000").toString(), "10e999999999");
  assert.equal(Quantity.parse("1e-1000000000").toString(), "1e-9");
});

Deno.test("Quantity.parse() parses a text once and throws for a bad text every time", () => {
  const a = Quantity.parse("250m");
  assert.equal(Quantity.parse("250m"), a);
  assert.equal(a.toString(), "250m");
  assert.notEqual(Quantity.parse("0.25"), a);
  for (let i = 0; i < 2; i++) assert.throws(() => Quantity.parse("12x"), SyntaxError);
});
