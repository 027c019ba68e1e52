import assert from "node:assert/strict";
import { managerOrUserAgent, validateFieldManager } from "./manager_name.ts";

Deno.test("managerOrUserAgent() names the writer as kube-apiserver does", async (t) => {
  const cases: { name: string; param: string; ua: string; manager: string }[] = [
    {
      name: "the parameter wins",
      param: "kubectl-client-side-apply",
      ua: "kubectl/v1.30.0",
      manager: "kubectl-client-side-apply",
    },
    {
      name: "kubectl's User-Agent",
      param: "",
      ua: "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
      manager: "kubectl",
    },
    { name: "client-go's default", param: "", ua: "Go-http-client/2.0", manager: "Go-http-client" },
    { name: "no slash", param: "", ua: "helm", manager: "helm" },
    { name: "no User-Agent", param: "", ua: "", manager: "" },
    { name: "unprintable characters dropped", param: "", ua: "a\tb\u0007c/1", manager: "abc" },
    { name: "cut at 128 bytes", param: "", ua: "é".repeat(70), manager: "é".repeat(64) },
    { name: "ASCII cut at 128", param: "", ua: "a".repeat(130), manager: "a".repeat(128) },
    { name: "DEL dropped", param: "", ua: "ab\u007fc/1", manager: "abc" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(managerOrUserAgent(c.param, c.ua), c.manager));
  }
});

Deno.test("validateFieldManager() checks length and printable characters", () => {
  assert.deepEqual(validateFieldManager("kubectl", "fieldManager"), []);
  assert.deepEqual(validateFieldManager(" ~!kube-scheduler_{x}", "fieldManager"), []);
  assert.deepEqual(validateFieldManager("a".repeat(128), "fieldManager"), []);
  assert.deepEqual(validateFieldManager("é".repeat(64), "fieldManager"), []);
  assert.deepEqual(validateFieldManager("é".repeat(65), "fieldManager").map(String), [
    "fieldManager: Too long: may not be more than 128 bytes",
  ]);
  const del = validateFieldManager("a\u007f", "fieldManager").map(String);
  assert.equal(del.length, 1);
  assert.match(del[0]!, /invalid character U\+007F \(at position 1\)$/);
  assert.deepEqual(validateFieldManager("a".repeat(129), "fieldManager").map(String), [
    "fieldManager: Too long: may not be more than 128 bytes",
  ]);
  assert.deepEqual(validateFieldManager("a\nb", "fieldManager").map(String), [
    'fieldManager: Invalid value: "a\\nb": invalid character U+000A (at position 1)',
  ]);
});
