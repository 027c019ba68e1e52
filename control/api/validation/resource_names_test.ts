import assert from "node:assert/strict";
import { Quantity } from "../types/quantity.ts";
import {
  isExtendedResourceName,
  isIntegerResourceName,
  isOvercommitAllowed,
  isStandardQuotaResourceName,
  isStandardResourceName,
  parseQuantity,
  validateContainerResourceName,
  validatePositiveQuantityValue,
  validateResourceName,
  validateResourceQuantityValue,
  validateResourceQuotaResourceName,
} from "./resource_names.ts";

Deno.test("resource name predicates follow core/helper", async (t) => {
  const cases: [
    string,
    { standard: boolean; quota: boolean; extended: boolean; integer: boolean; overcommit: boolean },
  ][] = [
    ["cpu", { standard: true, quota: true, extended: false, integer: false, overcommit: true }],
    ["storage", {
      standard: true,
      quota: false,
      extended: false,
      integer: false,
      overcommit: true,
    }],
    ["pods", { standard: true, quota: true, extended: false, integer: true, overcommit: true }],
    ["hugepages-2Mi", {
      standard: true,
      quota: true,
      extended: false,
      integer: false,
      overcommit: false,
    }],
    ["requests.hugepages-2Mi", {
      standard: true,
      quota: true,
      extended: false,
      integer: false,
      overcommit: true,
    }],
    ["limits.hugepages-2Mi", {
      standard: false,
      quota: false,
      extended: false,
      integer: false,
      overcommit: true,
    }],
    ["example.com/gpu", {
      standard: false,
      quota: false,
      extended: true,
      integer: true,
      overcommit: false,
    }],
    ["kubernetes.io/foo", {
      standard: false,
      quota: false,
      extended: false,
      integer: false,
      overcommit: true,
    }],
  ];
  for (const [name, want] of cases) {
    await t.step(name, () => {
      assert.deepEqual({
        standard: isStandardResourceName(name),
        quota: isStandardQuotaResourceName(name),
        extended: isExtendedResourceName(name),
        integer: isIntegerResourceName(name),
        overcommit: isOvercommitAllowed(name),
      }, want);
    });
  }
});

Deno.test("validateResourceName() and friends report upstream's messages", () => {
  assert.deepEqual(validateResourceName("cpu", "r"), []);
  assert.deepEqual(validateResourceName("bogus", "r").map(String), [
    'r: Invalid value: "bogus": must be a standard resource type or fully qualified',
  ]);
  assert.deepEqual(validateContainerResourceName("hugepages-1Gi", "r"), []);
  assert.deepEqual(validateContainerResourceName("pods", "r").map(String), [
    'r: Invalid value: "pods": must be a standard resource for containers',
  ]);
  assert.deepEqual(validateContainerResourceName("requests.example.com/x", "r").map(String), [
    `r: Invalid value: "requests.example.com/x": doesn't follow extended resource name standard`,
  ]);
  assert.deepEqual(validateResourceQuotaResourceName("storage", "r").map(String), [
    'r: Invalid value: "storage": must be a standard resource for quota',
  ]);
  assert.deepEqual(validateResourceQuotaResourceName("limits.hugepages-2Mi", "r").map(String), [
    'r: Invalid value: "limits.hugepages-2Mi": must be a standard resource type or fully qualified',
    'r: Invalid value: "limits.hugepages-2Mi": must be a standard resource for quota',
  ]);
});

Deno.test("validateResourceQuantityValue() refuses negatives and fractions of whole resources", () => {
  assert.deepEqual(validateResourceQuantityValue("-1", { name: "cpu", path: "q" }).map(String), [
    'q: Invalid value: "-1": must be greater than or equal to 0',
  ]);
  assert.deepEqual(validateResourceQuantityValue("500m", { name: "cpu", path: "q" }), []);
  assert.deepEqual(
    validateResourceQuantityValue(Quantity.parse("500m"), { name: "pods", path: "q" }).map(String),
    ['q: Invalid value: "500m": must be an integer'],
  );
  assert.deepEqual(validateResourceQuantityValue("nope", { name: "pods", path: "q" }), []);
  assert.deepEqual(validatePositiveQuantityValue("0", "q").map(String), [
    'q: Invalid value: "0": must be greater than zero',
  ]);
  assert.deepEqual(validatePositiveQuantityValue("1Gi", "q"), []);
  assert.equal(parseQuantity(undefined), null);
  assert.equal(parseQuantity(2)?.toString(), "2");
});
