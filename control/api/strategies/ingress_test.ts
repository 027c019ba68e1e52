import assert from "node:assert/strict";
import type { KubeObject } from "../types/meta_v1.ts";
import type { Ingress, IngressSpec } from "../types/networking_v1.ts";
import { ingressStrategy, validateIngress, validateIngressStatus } from "./ingress.ts";

function ingress(spec: IngressSpec, annotations?: Record<string, string>): Ingress {
  const obj: Ingress = { metadata: { name: "web", namespace: "default" }, spec };
  if (annotations) obj.metadata!.annotations = annotations;
  return obj;
}

const svc = { service: { name: "web", port: { number: 80 } } };

Deno.test("validateIngress() reports upstream's messages", async (t) => {
  const cases: { name: string; ingress: Ingress; want: string[] }[] = [
    {
      name: "a valid ingress",
      ingress: ingress({
        ingressClassName: "nginx",
        rules: [{
          host: "*.example.com",
          http: { paths: [{ path: "/api", pathType: "Prefix", backend: svc }] },
        }],
        tls: [{ hosts: ["*.example.com"], secretName: "tls" }],
      }),
      want: [],
    },
    {
      name: "neither rules nor a default backend",
      ingress: ingress({}),
      want: [
        "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified",
      ],
    },
    {
      name: "an IP host",
      ingress: ingress({ rules: [{ host: "10.0.0.1" }] }),
      want: [
        'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      ],
    },
    {
      name: "a bad wildcard host",
      ingress: ingress({ rules: [{ host: "*" }] }),
      want: [
        `spec.rules[0].host: Invalid value: "*": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    },
    {
      name: "a relative Prefix path and bad sequences",
      ingress: ingress({
        rules: [{ http: { paths: [{ path: "a//b/..", pathType: "Exact", backend: svc }] } }],
      }),
      want: [
        'spec.rules[0].http.paths[0].path: Invalid value: "a//b/..": must be an absolute path',
        `spec.rules[0].http.paths[0].path: Invalid value: "a//b/..": must not contain '//'`,
        `spec.rules[0].http.paths[0].path: Invalid value: "a//b/..": cannot end with '/..'`,
      ],
    },
    {
      name: "an empty ImplementationSpecific path",
      ingress: ingress({
        rules: [{ http: { paths: [{ pathType: "ImplementationSpecific", backend: svc }] } }],
      }),
      want: [],
    },
    {
      name: "an HTTP rule without paths",
      ingress: ingress({ rules: [{ http: { paths: [] } }] }),
      want: ["spec.rules[0].http.paths: Required value"],
    },
    {
      name: "backend errors",
      ingress: ingress({
        defaultBackend: {
          service: { name: "web", port: { number: 80 } },
          resource: { kind: "Bucket", name: "b" },
        },
        rules: [{
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: { service: { name: "1web" } } },
              { path: "/", pathType: "Prefix", backend: {} },
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "web", port: { name: "http", number: 80 } } },
              },
            ],
          },
        }],
      }),
      want: [
        'spec.defaultBackend: Invalid value: "": cannot set both resource and service backends',
        `spec.rules[0].http.paths[0].backend.service.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
        "spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
        'spec.rules[0].http.paths[1].backend: Invalid value: "": resource or service backend is required',
        'spec.rules[0].http.paths[2].backend: Invalid value: "": cannot set both port name & port number',
      ],
    },
    {
      name: "a class annotation that disagrees with ingressClassName",
      ingress: ingress({ ingressClassName: "a", defaultBackend: svc }, {
        "kubernetes.io/ingress.class": "b",
      }),
      want: [
        'annotations.kubernetes.io/ingress.class: Invalid value: "b": must match `ingressClassName` when both are specified',
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateIngress(c.ingress).map(String), c.want);
    });
  }
});

Deno.test("validateIngressStatus() checks load balancer IPs and hostnames", () => {
  const obj = ingress({ defaultBackend: svc });
  obj.status = {
    loadBalancer: { ingress: [{ ip: "1.2.3" }, { hostname: "1.2.3.4" }, { ip: "1.2.3.4" }] },
  };
  assert.deepEqual(validateIngressStatus(obj).map(String), [
    'status.loadBalancer.ingress[0].ip: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'status.loadBalancer.ingress[1].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
  ]);
});

Deno.test("ingressStrategy warns about the deprecated class annotation", () => {
  const obj = ingress({ defaultBackend: svc }, { "kubernetes.io/ingress.class": "nginx" });
  assert.deepEqual(ingressStrategy.warnings!(obj as KubeObject), [
    `annotation "kubernetes.io/ingress.class" is deprecated, please use 'spec.ingressClassName' instead`,
  ]);
  assert.deepEqual(ingressStrategy.warnings!(ingress({ defaultBackend: svc }) as KubeObject), []);
});

Deno.test("ingressStrategy warns about the class annotation on create only", () => {
  const obj = ingress({ defaultBackend: svc }, { "kubernetes.io/ingress.class": "nginx" });
  assert.deepEqual(ingressStrategy.warnings!(obj as KubeObject, obj as KubeObject), []);
});
