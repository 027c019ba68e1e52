import assert from "node:assert/strict";
import type { EndpointSlice } from "../types/discovery_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  createEndpointSliceStrategy,
  endpointSliceStrategy,
  validateEndpointSlice,
} from "./endpoint_slice.ts";

function slice(fields: Partial<EndpointSlice>): EndpointSlice {
  return { metadata: { name: "web-abc", namespace: "default" }, addressType: "IPv4", ...fields };
}

Deno.test("validateEndpointSlice() reports upstream's messages", async (t) => {
  const cases: { name: string; slice: EndpointSlice; want: string[] }[] = [
    {
      name: "a valid slice",
      slice: slice({
        endpoints: [{ addresses: ["10.42.0.5"], hostname: "web-0", nodeName: "n1" }],
        ports: [{ name: "http", protocol: "TCP", port: 80, appProtocol: "kubernetes.io/h2c" }],
      }),
      want: [],
    },
    {
      name: "an endpoint without addresses",
      slice: slice({ endpoints: [{ addresses: [] }] }),
      want: ["endpoints[0].addresses: Required value: must contain at least 1 address"],
    },
    {
      name: "an IPv6 address in an IPv4 slice",
      slice: slice({ endpoints: [{ addresses: ["fd00::1"] }] }),
      want: ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address'],
    },
    {
      name: "a garbage address",
      slice: slice({ endpoints: [{ addresses: ["nope"] }] }),
      want: [
        'endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IPv4 address',
        'endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IP address',
      ],
    },
    {
      name: "special addresses",
      slice: slice({ endpoints: [{ addresses: ["127.0.0.1", "0.0.0.0", "169.254.1.1"] }] }),
      want: [
        'endpoints[0].addresses[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[1]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'endpoints[0].addresses[2]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    },
    {
      name: "an IPv6 link-local multicast address",
      slice: slice({ addressType: "IPv6", endpoints: [{ addresses: ["ff02::1"] }] }),
      want: [
        'endpoints[0].addresses[0]: Invalid value: "ff02::1": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      ],
    },
    {
      name: "a one-label FQDN",
      slice: slice({ addressType: "FQDN", endpoints: [{ addresses: ["example"] }] }),
      want: [
        'endpoints[0].addresses[0]: Invalid value: "example": should be a domain with at least two segments separated by dots',
      ],
    },
    {
      name: "a bad hostname",
      slice: slice({ endpoints: [{ addresses: ["10.0.0.1"], hostname: "Web" }] }),
      want: [
        `endpoints[0].hostname: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      ],
    },
    {
      name: "duplicate zone hints",
      slice: slice({
        endpoints: [{
          addresses: ["10.0.0.1"],
          hints: { forZones: [{ name: "a" }, { name: "a" }] },
        }],
      }),
      want: ['endpoints[0].hints.forZones[1].name: Duplicate value: "a"'],
    },
    {
      name: "duplicate port names",
      slice: slice({ ports: [{ name: "", protocol: "TCP" }, { name: "", protocol: "UDP" }] }),
      want: ['ports[1].name: Duplicate value: ""'],
    },
    {
      name: "a bad appProtocol",
      slice: slice({ ports: [{ name: "a", protocol: "TCP", appProtocol: "a/b/c" }] }),
      want: [
        `ports[0].appProtocol: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(validateEndpointSlice(c.slice).map(String), c.want);
    });
  }
});

Deno.test("validateEndpointSlice() caps a slice at 1000 endpoints", () => {
  const endpoints = Array.from({ length: 1001 }, () => ({ addresses: ["10.0.0.1"] }));
  assert.deepEqual(validateEndpointSlice(slice({ endpoints })).map(String), [
    "endpoints: Too many: 1001: must have at most 1000 items",
  ]);
});

Deno.test("endpointSliceStrategy keeps addressType immutable", () => {
  const errs = endpointSliceStrategy.validateUpdate!(
    slice({ addressType: "IPv6" }) as KubeObject,
    slice({}) as KubeObject,
  );
  assert.deepEqual(errs.map(String), ['addressType: Invalid value: "IPv6": field is immutable']);
});

Deno.test("endpointSliceStrategy drops deprecatedTopology and, by default, forNodes", () => {
  const obj = slice({
    endpoints: [{
      addresses: ["10.0.0.1"],
      deprecatedTopology: { a: "b" },
      hints: { forZones: [{ name: "z" }], forNodes: [{ name: "n" }] },
    }],
  });
  endpointSliceStrategy.prepareForCreate!(obj as KubeObject);
  assert.deepEqual(obj.endpoints, [{
    addresses: ["10.0.0.1"],
    hints: { forZones: [{ name: "z" }] },
  }]);

  const gated = createEndpointSliceStrategy({ preferSameTrafficDistribution: true });
  const kept = slice({
    endpoints: [{ addresses: ["10.0.0.1"], hints: { forNodes: [{ name: "n" }] } }],
  });
  gated.prepareForCreate!(kept as KubeObject);
  assert.deepEqual(kept.endpoints?.[0]?.hints, { forNodes: [{ name: "n" }] });
});

Deno.test("endpointSliceStrategy bumps the generation when labels change", () => {
  const old = slice({});
  old.metadata = { name: "s", generation: 3, labels: { a: "1" } };
  const same = slice({});
  same.metadata = { name: "s", generation: 3, labels: { a: "1" } };
  endpointSliceStrategy.prepareForUpdate!(same as KubeObject, old as KubeObject);
  assert.equal(same.metadata?.generation, 3);
  const changed = slice({});
  changed.metadata = { name: "s", generation: 3, labels: { a: "2" } };
  endpointSliceStrategy.prepareForUpdate!(changed as KubeObject, old as KubeObject);
  assert.equal(changed.metadata?.generation, 4);
});

Deno.test("endpointSliceStrategy warns about non-standard IPs", () => {
  const warnings = endpointSliceStrategy.warnings!(
    slice({ endpoints: [{ addresses: ["010.0.0.1"] }] }) as KubeObject,
  );
  assert.deepEqual(warnings, [
    'endpoints[0].addresses[0]: non-standard IP address "010.0.0.1" will be considered invalid in a future Kubernetes release: use "10.0.0.1"',
  ]);
});
