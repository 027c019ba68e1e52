import assert from "node:assert/strict";
import { compareSemver, parseSemver, parseSemverNormalized, semverString } from "./_semver.ts";

Deno.test("parseSemver() parses as blang/semver and refuses with its texts", async (t) => {
  const cases: [string, string][] = [
    ["1.0.0", "1.0.0"],
    ["0.1.0-alpha.1", "0.1.0-alpha.1"],
    ["1.2.3-rc.1+build.5", "1.2.3-rc.1+build.5"],
    ["200K", "No Major.Minor.Patch elements found"],
    ["", "Version string empty"],
    ["v1.0.0", 'Invalid character(s) found in major number "v1"'],
    ["01.0.0", 'Major number must not contain leading zeroes "01"'],
    ["1.x.0", 'Invalid character(s) found in minor number "x"'],
    ["1.0.0-01", 'Numeric PreRelease version must not contain leading zeroes "01"'],
    ["1.0.0-a..b", "Prerelease is empty"],
    ["1.0.0+", "Buildversion is empty"],
  ];
  for (const [input, want] of cases) {
    await t.step(input || "(empty)", () => {
      if (/^\d/.test(want)) assert.equal(semverString(parseSemver(input)), want);
      else assert.throws(() => parseSemver(input), { message: want });
    });
  }
});

Deno.test("parseSemverNormalized() applies upstream's normalization", async (t) => {
  const cases: [string, string][] = [
    ["v1.0.0", "1.0.0"],
    ["1.0", "1.0.0"],
    ["01.01.01", "1.1.1"],
    ["v2", "2.0.0"],
    ["1.0-rc", "short version cannot contain PreRelease/Build meta data"],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => {
      if (/^\d/.test(want)) assert.equal(semverString(parseSemverNormalized(input)), want);
      else assert.throws(() => parseSemverNormalized(input), { message: want });
    });
  }
});

Deno.test("compareSemver() orders by semver precedence", () => {
  const order = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.2.3",
    "2.0.0",
  ].map(parseSemver);
  for (let i = 1; i < order.length; i++) {
    assert.equal(compareSemver(order[i - 1]!, order[i]!), -1);
    assert.equal(compareSemver(order[i]!, order[i - 1]!), 1);
  }
  assert.equal(compareSemver(parseSemver("1.2.3+a"), parseSemver("1.2.3+b")), 0);
});
