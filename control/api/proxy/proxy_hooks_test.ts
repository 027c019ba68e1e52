import assert from "node:assert/strict";
import type net from "node:net";
import type { TLSSocket } from "node:tls";
import { createTestApp, type TestApp } from "../_test_app.ts";
import { createTestPki, startTestHttps } from "../_test_https.ts";
import type { AdmissionAttributes } from "../admission/admission.ts";
import type { KubeletEndpoint } from "../kubelet_connection.ts";
import { headerOf, startTestBackend, type TestBackend } from "./_test_backend.ts";
import {
  PROXY_METHODS,
  proxyHooks,
  proxyOptionsObject,
  proxySubpath,
  storageProxyReaders,
} from "./proxy_hooks.ts";

Deno.test("proxySubpath() is upstream's subpath of the segments after proxy", () => {
  assert.equal(proxySubpath([], "/api/v1/namespaces/d/pods/p/proxy"), "");
  assert.equal(proxySubpath([], "/api/v1/namespaces/d/pods/p/proxy/"), "/");
  assert.equal(proxySubpath(["a", "b"], "/x/proxy/a/b"), "/a/b");
  assert.equal(proxySubpath(["a", "b"], "/x/proxy/a/b/"), "/a/b/");
  assert.deepEqual(proxyOptionsObject("pods", "/a"), {
    kind: "PodProxyOptions",
    apiVersion: "v1",
    metadata: {},
    path: "/a",
  });
  assert.deepEqual(proxyOptionsObject("nodes", ""), {
    kind: "NodeProxyOptions",
    apiVersion: "v1",
    metadata: {},
  });
  assert.deepEqual(PROXY_METHODS, ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
});

interface Fixture {
  readonly app: TestApp;
  readonly backend: TestBackend;
  readonly admitted: AdmissionAttributes[];
  readonly kubeletDials: KubeletEndpoint[];
}

async function fixture(backend: TestBackend): Promise<Fixture> {
  const admitted: AdmissionAttributes[] = [];
  const kubeletDials: KubeletEndpoint[] = [];
  const app = await createTestApp({
    extensions: (parts) => ({
      subresources: proxyHooks({
        readers: storageProxyReaders(parts.storage),
        credentials: () => ({ certPem: "CERT", keyPem: "KEY" }),
        logger: parts.logger,
        admission: {
          run: (attrs) => {
            admitted.push(attrs);
            return Promise.resolve();
          },
        },
        dial: backend.dial,
        dialKubelet: async (endpoint) => {
          kubeletDials.push(endpoint);
          return await backend.dial({
            hostname: endpoint.host,
            port: String(endpoint.port),
            tls: true,
          }, {
            signal: new AbortController().signal,
          }) as net.Socket as TLSSocket;
        },
        random: () => 0,
      }),
    }),
  });
  const create = async (path: string, body: unknown) => {
    const res = await app.json("POST", path, { body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  await create("/api/v1/namespaces/default/pods", {
    metadata: { name: "web", labels: { app: "web" } },
    spec: {
      containers: [{
        name: "main",
        image: "busybox",
        ports: [{ containerPort: 8080, name: "http" }],
      }],
    },
  });
  const status = await app.json("PATCH", "/api/v1/namespaces/default/pods/web/status", {
    body: { status: { podIP: "10.42.0.5", podIPs: [{ ip: "10.42.0.5" }] } },
    contentType: "application/merge-patch+json",
  });
  assert.equal(status.status, 200, JSON.stringify(status.body));
  await create("/api/v1/namespaces/default/services", {
    metadata: { name: "web" },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  });
  await create("/api/v1/namespaces/default/endpoints", {
    metadata: { name: "web" },
    subsets: [{
      addresses: [{
        ip: "10.42.0.5",
        targetRef: { kind: "Pod", name: "web", namespace: "default" },
      }],
      ports: [{ name: "http", port: 8080 }],
    }],
  });
  await create("/api/v1/namespaces/default/services", {
    metadata: { name: "empty" },
    spec: { selector: { app: "none" }, ports: [{ port: 80 }] },
  });
  await create("/api/v1/namespaces/default/endpoints", { metadata: { name: "empty" } });
  await create("/api/v1/nodes", { metadata: { name: "n1" } });
  const nodeStatus = await app.json("PATCH", "/api/v1/nodes/n1/status", {
    body: {
      status: {
        addresses: [{ type: "InternalIP", address: "192.168.1.5" }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    },
    contentType: "application/merge-patch+json",
  });
  assert.equal(nodeStatus.status, 200, JSON.stringify(nodeStatus.body));
  return { app, backend, admitted, kubeletDials };
}

Deno.test("ProxyHook serves pods/proxy, services/proxy and nodes/proxy through the app", async (t) => {
  await using backend = await startTestBackend();
  const f = await fixture(backend);
  await using _app = f.app;
  const get = async (path: string, init?: RequestInit) => {
    const res = await f.app.request(path, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  await t.step("pods/proxy with a port and a path", async () => {
    const res = await get("/api/v1/namespaces/default/pods/web:8080/proxy/a/b/?q=1");
    assert.equal(res.status, 200);
    assert.equal(res.text, "ok");
    assert.deepEqual(backend.dialed.at(-1), { hostname: "10.42.0.5", port: "8080", tls: false });
    const req = backend.requests.at(-1)!;
    assert.equal(req.line, "GET /a/b/?q=1 HTTP/1.1");
    assert.equal(headerOf(req, "host"), "localhost");
    assert.equal(
      headerOf(req, "x-forwarded-uri"),
      "/api/v1/namespaces/default/pods/web:8080/proxy/a/b/",
    );
    const admitted = f.admitted.at(-1)!;
    assert.equal(admitted.operation, "CONNECT");
    assert.equal(admitted.subresource, "proxy");
    assert.equal(admitted.name, "web:8080");
    assert.deepEqual(admitted.object, {
      kind: "PodProxyOptions",
      apiVersion: "v1",
      metadata: {},
      path: "/a/b/",
    });
  });
  await t.step("pods/proxy of the first container port, over https", async () => {
    assert.equal((await get("/api/v1/namespaces/default/pods/https:web:/proxy/")).status, 200);
    assert.deepEqual(backend.dialed.at(-1), { hostname: "10.42.0.5", port: "8080", tls: true });
    assert.equal((await get("/api/v1/namespaces/default/pods/web/proxy/")).status, 200);
    assert.deepEqual(backend.dialed.at(-1), { hostname: "10.42.0.5", port: "8080", tls: false });
  });
  await t.step("every method goes through", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const res = await get("/api/v1/namespaces/default/pods/web/proxy/m", {
        method,
        ...(method === "OPTIONS" || method === "DELETE" ? {} : { body: `${method} body` }),
      });
      assert.equal(res.status, 200, method);
      const req = backend.requests.at(-1)!;
      assert.equal(req.line, `${method} /m HTTP/1.1`);
      if (method !== "OPTIONS" && method !== "DELETE") {
        assert.equal(new TextDecoder().decode(req.body), `${method} body`);
      }
    }
  });
  await t.step("no path: redirected to the path with a slash", async () => {
    const res = await get("/api/v1/namespaces/default/pods/web:8080/proxy");
    assert.equal(res.status, 301);
    assert.equal(res.headers.get("location"), "/api/v1/namespaces/default/pods/web:8080/proxy/");
  });
  await t.step("services/proxy by port name and number", async () => {
    for (const name of ["web:http", "web:80", "http:web:80"]) {
      const res = await get(`/api/v1/namespaces/default/services/${name}/proxy/x`);
      assert.equal(res.status, 200, name);
      assert.deepEqual(backend.dialed.at(-1), { hostname: "10.42.0.5", port: "8080", tls: false });
    }
    assert.equal(f.admitted.at(-1)!.object?.kind, "ServiceProxyOptions");
  });
  await t.step("nodes/proxy to the kubelet, and to another port", async () => {
    const res = await get("/api/v1/nodes/n1/proxy/healthz");
    assert.equal(res.status, 200);
    assert.deepEqual(f.kubeletDials.at(-1), { host: "192.168.1.5", port: 10250 });
    assert.equal(backend.requests.at(-1)!.line, "GET /healthz HTTP/1.1");
    assert.equal((await get("/api/v1/nodes/n1:9100/proxy/metrics")).status, 200);
    assert.deepEqual(backend.dialed.at(-1), { hostname: "192.168.1.5", port: "9100", tls: false });
  });
  await t.step("upstream's errors", async () => {
    const cases: [string, number, string][] = [
      ["/api/v1/namespaces/default/pods/a:b:c:d/proxy/", 400, 'invalid pod request "a:b:c:d"'],
      ["/api/v1/namespaces/default/pods/nope/proxy/", 404, 'pods "nope" not found'],
      [
        "/api/v1/namespaces/default/services/ftp:web:21/proxy/",
        400,
        'invalid service request "ftp:web:21"',
      ],
      ["/api/v1/namespaces/default/services/nope:80/proxy/", 404, 'services "nope" not found'],
      ["/api/v1/namespaces/default/services/nope/proxy/", 404, 'endpoints "nope" not found'],
      [
        "/api/v1/namespaces/default/services/empty/proxy/",
        503,
        'no endpoints available for service "empty"',
      ],
      [
        "/api/v1/namespaces/default/services/kubernetes:https/proxy/",
        503,
        'no endpoints available for service "kubernetes:https"',
      ],
      [
        "/api/v1/namespaces/default/services/web:81/proxy/",
        503,
        'no service port 81 found for service "web"',
      ],
      ["/api/v1/nodes/nope/proxy/", 404, 'nodes "nope" not found'],
      ["/api/v1/nodes/a:b:c:d/proxy/", 400, 'invalid node request "a:b:c:d"'],
    ];
    for (const [path, code, message] of cases) {
      const res = await get(path);
      assert.equal(res.status, code, path);
      const status = JSON.parse(res.text);
      assert.equal(status.kind, "Status");
      assert.equal(status.message, message, path);
    }
  });
});

Deno.test("ProxyHook streams uploads and downloads past the body limit over HTTPS", async () => {
  await using backend = await startTestBackend();
  const f = await fixture(backend);
  await using _app = f.app;
  await using pki = await createTestPki();
  await using server = await startTestHttps(f.app.app, pki);
  using http = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  const size = 5 * 1024 * 1024;
  const download = new Uint8Array(size).fill(0x61);
  backend.respond = (req, socket) => {
    socket.write(
      `HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\nX-Got: ${req.body.byteLength}\r\n\r\n`,
    );
    socket.end(download);
  };
  let sent = 0;
  const upload = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const piece = new Uint8Array(64 * 1024).fill(0x62);
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  const res = await fetch(`${server.url}/api/v1/namespaces/default/pods/web:8080/proxy/upload`, {
    method: "POST",
    body: upload,
    client: http,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-got"), String(size), "the backend got the whole upload");
  assert.equal((await res.arrayBuffer()).byteLength, size);
  const req = backend.requests.at(-1)!;
  assert.equal(req.body.byteLength, size);
  assert.equal(headerOf(req, "transfer-encoding"), "chunked");
  assert.equal(headerOf(req, "x-forwarded-for"), "127.0.0.1");
  assert.equal(headerOf(req, "host"), `127.0.0.1:${server.port}`);
});
