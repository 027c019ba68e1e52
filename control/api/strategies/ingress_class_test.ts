import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import type { IngressClass, IngressClassSpec } from "../types/networking_v1.ts";
import { ingressClassStrategy, validateIngressClass } from "./ingress_class.ts";

function ingressClass(spec: IngressClassSpec): IngressClass {
  return { metadata: { name: "nginx" }, spec };
}

Deno.test("validateIngressClass() reports upstream's messages", async (t) => {
  const cases: { name: string; spec: IngressClassSpec; want: string[] }[] = [
    {
      name: "a valid class",
      spec: {
        controller: "k8s.io/ingress-nginx",
        parameters: { apiGroup: "k8s.example.com", kind: "Params", name: "p", scope: "Cluster" },
      },
      want: [],
    },
    { name: "no controller", spec: {}, want: ["spec.controller: Required value"] },
    {
      name: "a controller without a domain",
      spec: { controller: "nginx" },
      want: [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
      ],
    },
    {
      name: "a bad controller path",
      spec: { controller: "acme.io/a b" },
      want: [
        `spec.controller: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')`,
      ],
    },
    {
      name: "a too long controller",
      spec: { controller: `acme.io/${"a".repeat(250)}` },
      want: ["spec.controller: Too long: may not be more than 250 bytes"],
    },
    {
      name: "namespace scope without namespace",
      spec: { controller: "acme.io/c", parameters: { kind: "P", name: "p", scope: "Namespace" } },
      want: ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"],
    },
    {
      name: "cluster scope with namespace",
      spec: {
        controller: "acme.io/c",
        parameters: { kind: "P", name: "p", scope: "Cluster", namespace: "x" },
      },
      want: ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"],
    },
    {
      name: "an unknown scope",
      spec: { controller: "acme.io/c", parameters: { kind: "P", name: "a/b", scope: "Global" } },
      want: [
        `spec.parameters.name: Invalid value: "a/b": may not contain '/'`,
        'spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateIngressClass(ingressClass(c.spec)).map(String), c.want);
    });
  }
});

Deno.test("ingressClassStrategy keeps the controller immutable", () => {
  const errs = ingressClassStrategy.validateUpdate!(
    ingressClass({ controller: "acme.io/b" }) as KubeObject,
    ingressClass({ controller: "acme.io/a" }) as KubeObject,
  );
  assert.deepEqual(errs.map(String), [
    'spec.controller: Invalid value: "acme.io/b": field is immutable',
  ]);
});
