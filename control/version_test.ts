import assert from "node:assert/strict";
import { KUBERNETES_VERSION, SKIFF_VERSION, versionInfo } from "./version.ts";

Deno.test("SKIFF_VERSION matches the version in deno.json", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(SKIFF_VERSION, denoJson.version);
});

Deno.test("KUBERNETES_VERSION gitVersion agrees with major and minor", () => {
  const { major, minor, gitVersion } = KUBERNETES_VERSION;
  assert.match(gitVersion, /^v\d+\.\d+\.\d+$/);
  assert.ok(gitVersion.startsWith(`v${major}.${minor}.`));
});

Deno.test("versionInfo() reports skiff, Kubernetes and the running Deno", () => {
  const info = versionInfo();
  assert.equal(info.skiff, SKIFF_VERSION);
  assert.equal(info.kubernetes.gitVersion, "v1.33.0");
  assert.equal(info.deno, Deno.version.deno);
  assert.ok(Object.isFrozen(info));
});
