import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import { PodTemplate } from "../types/core_v1_pod.ts";
import { validateSchema } from "../codec/validate_schema.ts";
import { podTemplateStrategy } from "./pod_template.ts";

function template(spec: Record<string, unknown> | undefined): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PodTemplate",
    metadata: { name: "t", namespace: "default" },
    template: { metadata: { labels: { app: "web" } }, ...(spec ? { spec } : {}) },
  };
}

Deno.test("podTemplateStrategy.default() defaults the template's pod spec, not Pod-only fields", () => {
  const t = template({ containers: [{ name: "web", image: "nginx" }] });
  podTemplateStrategy.default!(t);
  const spec = (t as PodTemplate).template?.spec;
  assert.equal(spec?.restartPolicy, "Always");
  assert.equal(spec?.containers[0]?.imagePullPolicy, "Always");
  assert.equal(spec?.enableServiceLinks, undefined);
});

Deno.test("podTemplateStrategy.validate() reports errors under template", async (t) => {
  const cases: { name: string; spec?: Record<string, unknown>; want: string[] }[] = [
    { name: "valid", spec: { containers: [{ name: "web", image: "nginx" }] }, want: [] },
    { name: "no spec", want: ["template.spec.containers: Required value"] },
    {
      name: "container without image",
      spec: { containers: [{ name: "web" }] },
      want: ["template.spec.containers[0].image: Required value"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const obj = template(c.spec);
      podTemplateStrategy.default!(obj);
      podTemplateStrategy.prepareForCreate!(obj);
      // As the handler reports them: the schema's generic errors, then the strategy's.
      const errs = [...validateSchema(PodTemplate, obj), ...podTemplateStrategy.validate!(obj)];
      assert.deepEqual(errs.map(String), c.want);
    });
  }
});
