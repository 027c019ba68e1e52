import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { podConfigMapNames, podSecretNames } from "./pod_references.ts";

Deno.test("podConfigMapNames() and podSecretNames() find every kind of reference", async (t) => {
  const cases: Array<{ name: string; pod: Pod; configMaps: string[]; secrets: string[] }> = [
    {
      name: "volumes",
      pod: {
        spec: {
          containers: [],
          volumes: [
            { name: "a", configMap: { name: "cm-vol" } },
            { name: "b", secret: { secretName: "s-vol" } },
          ],
        },
      },
      configMaps: ["cm-vol"],
      secrets: ["s-vol"],
    },
    {
      name: "projected sources",
      pod: {
        spec: {
          containers: [],
          volumes: [{
            name: "p",
            projected: {
              sources: [
                { configMap: { name: "cm-proj" } },
                { secret: { name: "s-proj" } },
                { serviceAccountToken: { path: "token" } },
              ],
            },
          }],
        },
      },
      configMaps: ["cm-proj"],
      secrets: ["s-proj"],
    },
    {
      name: "env valueFrom and envFrom of init, app and ephemeral containers",
      pod: {
        spec: {
          initContainers: [{
            name: "init",
            env: [{ name: "A", valueFrom: { configMapKeyRef: { name: "cm-init", key: "k" } } }],
          }],
          containers: [{
            name: "app",
            env: [{ name: "B", valueFrom: { secretKeyRef: { name: "s-env", key: "k" } } }],
            envFrom: [{ configMapRef: { name: "cm-from" } }, { secretRef: { name: "s-from" } }],
          }],
          ephemeralContainers: [{
            name: "debug",
            envFrom: [{ secretRef: { name: "s-debug", optional: true } }],
          }],
        },
      },
      configMaps: ["cm-init", "cm-from"],
      secrets: ["s-env", "s-from", "s-debug"],
    },
    {
      name: "imagePullSecrets",
      pod: { spec: { containers: [], imagePullSecrets: [{ name: "registry" }, { name: "" }] } },
      configMaps: [],
      secrets: ["registry"],
    },
    {
      name: "the same name twice counts once",
      pod: {
        spec: {
          containers: [{ name: "a", envFrom: [{ configMapRef: { name: "x" } }] }],
          volumes: [{ name: "v", configMap: { name: "x" } }],
        },
      },
      configMaps: ["x"],
      secrets: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual([...podConfigMapNames(c.pod)].sort(), c.configMaps.sort());
      assert.deepEqual([...podSecretNames(c.pod)].sort(), c.secrets.sort());
    });
  }
});
