import assert from "node:assert/strict";
import type { ApiError } from "../errors.ts";
import type { Node } from "../types/core_v1_node.ts";
import type { Pod } from "../types/core_v1_pod.ts";
import type { Endpoints, Service } from "../types/core_v1_service.ts";
import {
  isGlobalUnicast,
  nodeProxyLocation,
  podProxyLocation,
  type ProxyId,
  serviceProxyLocation,
  type ServiceProxyReaders,
  splitSchemeNamePort,
} from "./proxy_location.ts";

function id(text: string): ProxyId {
  return splitSchemeNamePort(text)!;
}

/** Asserts `fn` fails with an ApiError of `code` and `message`. */
async function rejectsWith(fn: () => unknown, code: number, message: string): Promise<void> {
  await assert.rejects(async () => await fn(), (err: ApiError) => {
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return true;
  });
}

Deno.test("splitSchemeNamePort() splits name, name:port and scheme:name:port", async (t) => {
  const cases: [string, ProxyId | null][] = [
    ["web", { scheme: "", name: "web", port: "" }],
    ["web:8080", { scheme: "", name: "web", port: "8080" }],
    ["web:http", { scheme: "", name: "web", port: "http" }],
    ["https:web:443", { scheme: "https", name: "web", port: "443" }],
    ["http:web:", { scheme: "http", name: "web", port: "" }],
    ["ftp:web:21", null],
    [":8080", null],
    ["a:b:c:d", null],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.deepEqual(splitSchemeNamePort(input), want));
  }
});

Deno.test("isGlobalUnicast() is Go's IP.IsGlobalUnicast", async (t) => {
  const cases: [string, boolean][] = [
    ["10.42.0.5", true],
    ["192.168.1.1", true],
    ["8.8.8.8", true],
    ["127.0.0.1", false],
    ["0.0.0.0", false],
    ["255.255.255.255", false],
    ["224.0.0.1", false],
    ["169.254.1.1", false],
    ["fd00::5", true],
    ["2001:db8::1", true],
    ["::1", false],
    ["::", false],
    ["fe80::1", false],
    ["ff02::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:10.0.0.1", true],
    ["", false],
    ["web", false],
  ];
  for (const [ip, want] of cases) {
    await t.step(ip || "(empty)", () => assert.equal(isGlobalUnicast(ip), want));
  }
});

function pod(options: { ip?: string; ports?: number[] } = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default" },
    spec: {
      containers: [
        { name: "side", image: "x" },
        {
          name: "main",
          image: "x",
          ports: (options.ports ?? []).map((containerPort) => ({ containerPort })),
        },
      ],
    },
    status: options.ip === undefined ? {} : { podIP: options.ip, podIPs: [{ ip: options.ip }] },
  } as Pod;
}

Deno.test("podProxyLocation() dials the pod IP at the asked or first declared port", async (t) => {
  await t.step("the asked port", () => {
    assert.deepEqual(podProxyLocation(pod({ ip: "10.42.0.5", ports: [80] }), id("web:8080")), {
      scheme: "http",
      host: "10.42.0.5:8080",
      hostname: "10.42.0.5",
      port: "8080",
      transport: "proxy",
    });
  });
  await t.step("the first declared container port", () => {
    const loc = podProxyLocation(pod({ ip: "10.42.0.5", ports: [9000, 9001] }), id("web"));
    assert.equal(loc.host, "10.42.0.5:9000");
  });
  await t.step("no port at all: the host alone, the scheme's port dialled", () => {
    const loc = podProxyLocation(pod({ ip: "fd00::5" }), id("https:web:"));
    assert.deepEqual([loc.scheme, loc.host, loc.port], ["https", "[fd00::5]", "443"]);
  });
  await t.step("an IPv6 pod with a port", () => {
    assert.equal(podProxyLocation(pod({ ip: "fd00::5" }), id("web:80")).host, "[fd00::5]:80");
  });
  await t.step("a pod without an IP, or with a loopback one, is refused", async () => {
    await rejectsWith(() => podProxyLocation(pod(), id("web:80")), 400, "address not allowed");
    await rejectsWith(
      () => podProxyLocation(pod({ ip: "127.0.0.1" }), id("web:80")),
      400,
      "address not allowed",
    );
  });
});

function readers(objects: {
  service?: Service;
  endpoints?: Endpoints;
  pods?: Pod[];
  random?: () => number;
}): ServiceProxyReaders {
  return {
    getService: (_ns, name) =>
      Promise.resolve(objects.service?.metadata?.name === name ? objects.service : undefined),
    getEndpoints: (_ns, name) =>
      Promise.resolve(objects.endpoints?.metadata?.name === name ? objects.endpoints : undefined),
    getPod: (ns, name) =>
      Promise.resolve(
        objects.pods?.find((p) => p.metadata?.name === name && p.metadata?.namespace === ns),
      ),
    random: objects.random ?? (() => 0),
  };
}

const SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "admin", port: 81 }] },
} as Service;

function backendPod(name: string, ip: string): Pod {
  return {
    metadata: { name, namespace: "default" },
    spec: { containers: [] },
    status: { podIPs: [{ ip }] },
  } as unknown as Pod;
}

function endpoints(subsets: unknown[]): Endpoints {
  return { metadata: { name: "web", namespace: "default" }, subsets } as Endpoints;
}

function ref(name: string, namespace = "default") {
  return { kind: "Pod", name, namespace };
}

Deno.test("serviceProxyLocation() picks a ready endpoint of the Service's port", async (t) => {
  const ready = endpoints([{
    addresses: [
      { ip: "10.42.0.5", targetRef: ref("web-a") },
      { ip: "10.42.0.6", targetRef: ref("web-b") },
    ],
    ports: [{ name: "http", port: 8080 }, { name: "admin", port: 9090 }],
  }]);
  const pods = [backendPod("web-a", "10.42.0.5"), backendPod("web-b", "10.42.0.6")];
  const locate = (text: string, r: ServiceProxyReaders) =>
    serviceProxyLocation({ namespace: "default", id: id(text), raw: text }, r);

  await t.step("by port name, at the endpoint's port", async () => {
    const loc = await locate("web:http", readers({ endpoints: ready, pods }));
    assert.deepEqual([loc.scheme, loc.host], ["http", "10.42.0.5:8080"]);
  });
  await t.step("by port number, through the Service port's name", async () => {
    const loc = await locate("https:web:81", readers({ service: SERVICE, endpoints: ready, pods }));
    assert.deepEqual([loc.scheme, loc.host], ["https", "10.42.0.5:9090"]);
  });
  await t.step("the address is picked at random", async () => {
    const loc = await locate("web:http", readers({ endpoints: ready, pods, random: () => 0.9 }));
    assert.equal(loc.host, "10.42.0.6:8080");
  });
  await t.step("without a port, the unnamed endpoint port", async () => {
    const unnamed = endpoints([{
      addresses: [{ ip: "10.42.0.5", targetRef: ref("web-a") }],
      ports: [{ port: 8080 }],
    }]);
    assert.equal(
      (await locate("web", readers({ endpoints: unnamed, pods }))).host,
      "10.42.0.5:8080",
    );
    await rejectsWith(
      () => locate("web", readers({ endpoints: ready, pods })),
      503,
      'no endpoints available for service "web"',
    );
  });
  await t.step("addresses without a pod of theirs do not qualify", async () => {
    const manual = endpoints([{
      addresses: [
        { ip: "10.0.0.1" },
        { ip: "10.42.0.5", targetRef: ref("web-a", "other") },
        { ip: "10.42.0.9", targetRef: ref("web-a") },
        { ip: "10.42.0.6", targetRef: ref("gone") },
      ],
      ports: [{ name: "http", port: 8080 }],
    }]);
    await rejectsWith(
      () => locate("web:http", readers({ endpoints: manual, pods })),
      503,
      'no endpoints available for service "web:http"',
    );
  });
  await t.step("subsets without addresses are skipped", async () => {
    const notReady = endpoints([
      { notReadyAddresses: [{ ip: "10.42.0.5" }], ports: [{ name: "http", port: 8080 }] },
      {
        addresses: [{ ip: "10.42.0.6", targetRef: ref("web-b") }],
        ports: [{ name: "http", port: 8081 }],
      },
    ]);
    assert.equal(
      (await locate("web:http", readers({ endpoints: notReady, pods }))).host,
      "10.42.0.6:8081",
    );
  });
  await t.step("upstream's errors", async () => {
    await rejectsWith(
      () => locate("web:82", readers({ service: SERVICE, endpoints: ready, pods })),
      503,
      'no service port 82 found for service "web"',
    );
    await rejectsWith(() => locate("web:80", readers({})), 404, 'services "web" not found');
    await rejectsWith(() => locate("web:http", readers({})), 404, 'endpoints "web" not found');
    await rejectsWith(
      () => locate("web:http", readers({ endpoints: endpoints([]) })),
      503,
      'no endpoints available for service "web"',
    );
  });
});

function node(addresses: { type: string; address: string }[], port = 10250): Node {
  return {
    metadata: { name: "n1" },
    status: { addresses, daemonEndpoints: { kubeletEndpoint: { Port: port } } },
  } as Node;
}

Deno.test("nodeProxyLocation() goes to the kubelet, or to another port of the node", async (t) => {
  const resolve = (host: string) =>
    Promise.resolve(
      host === "edge-1.local" ? ["192.168.1.7"] : host === "lo.local" ? ["127.0.0.1"] : [],
    );
  const n1 = node([{ type: "InternalIP", address: "192.168.1.5" }, {
    type: "Hostname",
    address: "n1",
  }]);
  await t.step("no port: the kubelet over TLS with the kubelet client certificate", async () => {
    assert.deepEqual(await nodeProxyLocation(n1, { id: id("n1"), resolve }), {
      scheme: "https",
      host: "192.168.1.5:10250",
      hostname: "192.168.1.5",
      port: "10250",
      transport: "kubelet",
    });
  });
  await t.step("the kubelet's port, whatever the scheme asked", async () => {
    const loc = await nodeProxyLocation(n1, { id: id("http:n1:10250"), resolve });
    assert.deepEqual([loc.scheme, loc.transport], ["https", "kubelet"]);
  });
  await t.step("another port: plain proxying with the asked scheme", async () => {
    const loc = await nodeProxyLocation(n1, { id: id("n1:9100"), resolve });
    assert.deepEqual([loc.scheme, loc.host, loc.transport], ["http", "192.168.1.5:9100", "proxy"]);
  });
  await t.step("a host name is resolved and checked", async () => {
    const named = node([{ type: "Hostname", address: "edge-1.local" }], 10251);
    const loc = await nodeProxyLocation(named, { id: id("n1"), resolve });
    assert.deepEqual([loc.host, loc.port], ["edge-1.local:10251", "10251"]);
    await rejectsWith(
      () =>
        nodeProxyLocation(node([{ type: "Hostname", address: "lo.local" }]), {
          id: id("n1"),
          resolve,
        }),
      400,
      "address not allowed",
    );
  });
  await t.step("a loopback address is not proxyable", async () => {
    await rejectsWith(
      () =>
        nodeProxyLocation(node([{ type: "InternalIP", address: "127.0.0.1" }]), {
          id: id("n1"),
          resolve,
        }),
      400,
      "address not allowed",
    );
  });
  await t.step("a node without addresses", async () => {
    await rejectsWith(
      () => nodeProxyLocation(node([]), { id: id("n1"), resolve }),
      500,
      "no preferred addresses found; known addresses: []",
    );
  });
});
