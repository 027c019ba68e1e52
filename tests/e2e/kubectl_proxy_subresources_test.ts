/**
 * The `proxy` subresources on a real one-node cluster — `skiff server` with its agent, as
 * root, with containerd, skiff's CNI plugin and busybox image — driven by the real kubectl
 * 1.27–1.33 (`kubectl proxy`: 1.27 and 1.33): `kubectl get --raw` through `pods/web:8080/proxy/`, `services/web:http/proxy/`
 * and `nodes/<node>/proxy/healthz` (the kubelet API); `kubectl proxy` in front of
 * `services/web:http/proxy/` and `services/plain/proxy/` (a page whose links are rewritten, the
 * redirect of a bare `/proxy`); upstream's answers for a Service without endpoints, for a
 * Service whose ports are named asked without one, for a user without `pods/proxy` (and with
 * it, once granted), and for the `kubectl cluster-info` URL of the cluster DNS Service (which
 * has no Endpoints: node-local DNS); and an HTTP upgrade relayed raw to a pod.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import tls from "node:tls";
import type { Endpoints } from "../../control/api/types/core_v1_service.ts";
import { ENDPOINTS, NODES } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { readAdminKubeconfig } from "../_support/identities.ts";
import { KUBECTL_VERSIONS, type KubectlResult, type KubectlVersion } from "../_support/kubectl.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NODE_NAME = "proxy-node";
const IMAGE = "docker.io/skiff/busybox:1.36";
const NS = "default";
/** The versions `kubectl proxy` runs with (every version runs `get --raw`). */
const PROXY_VERSIONS: readonly KubectlVersion[] = ["1.27", "1.33"];

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex -- the escape sequences kubectl colours with
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** The pod: httpd on 8080 (an index and a page of links), an upgrade echo on 9000. */
const WEB_POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: NS, labels: { app: "web" } },
  spec: {
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 1,
    containers: [{
      name: "main",
      image: IMAGE,
      imagePullPolicy: "Never",
      command: ["sh", "-c"],
      args: [
        "mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && " +
        `printf '<a href="/docs/">docs</a> <img src="/logo.png"> <a href="https://example.com/">x</a>' ` +
        "> /tmp/www/links.html && httpd -p 8080 -h /tmp/www && " +
        // An upgrade endpoint: answers 101, then echoes what it gets (the request head first).
        "cat > /tmp/up.sh <<'EOF'\n#!/bin/sh\n" +
        "printf 'HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: echo\\r\\n\\r\\n'\n" +
        "exec cat\nEOF\n" +
        "chmod +x /tmp/up.sh && exec nc -ll -p 9000 -e /tmp/up.sh",
      ],
      ports: [{ name: "http", containerPort: 8080 }, { name: "echo", containerPort: 9000 }],
      readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
    }],
  },
};

const WEB_SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: NS },
  spec: {
    selector: { app: "web" },
    ports: [
      { name: "http", port: 80, targetPort: 8080 },
      { name: "echo", port: 9000, targetPort: 9000 },
    ],
  },
};

/** The same pod behind one unnamed port: `services/plain/proxy/` needs no port name. */
const PLAIN_SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "plain", namespace: NS },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
};

/**
 * The cluster DNS Service as skiff keeps it (no selector: node-local DNS), which a server whose
 * DNS is off (this test's agent runs in the host's namespace) does not have.
 */
const DNS_SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "kube-dns",
    namespace: "kube-system",
    labels: {
      "k8s-app": "kube-dns",
      "kubernetes.io/cluster-service": "true",
      "kubernetes.io/name": "CoreDNS",
    },
  },
  spec: {
    ports: [
      { name: "dns", port: 53, protocol: "UDP" },
      { name: "dns-tcp", port: 53, protocol: "TCP" },
      { name: "metrics", port: 9153, protocol: "TCP" },
    ],
  },
};

/** A Service whose selector matches nothing: its Endpoints have no subsets. */
const LONELY_SERVICE = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "lonely", namespace: NS },
  spec: { selector: { app: "nobody" }, ports: [{ port: 80 }] },
};

Deno.test("pods/proxy, services/proxy and nodes/proxy answer kubectl as upstream's do", async (t) => {
  await using server = await startTestServer({
    agent: true,
    args: ["--node-name", NODE_NAME, "--cluster-cidr", "10.139.0.0/16"],
    readyTimeoutMs: 90_000,
  });
  using cluster = e2eCluster(server, { waitMs: 90_000 });
  const { client, runOk, eventually } = cluster;

  async function step(name: string, fn: () => Promise<void>): Promise<void> {
    if (!await t.step(name, fn)) {
      throw new Error(`Step "${name}" failed; server log:\n${server.logTail(30)}`);
    }
  }
  const failed = (r: KubectlResult, what: string) => {
    assert.notEqual(r.code, 0, `${what} should fail: ${r.stdout}`);
    return r.stderr.trim();
  };

  await step("the pod serves and the Service has its endpoint", async () => {
    await eventually("the node to be Ready", async () => {
      const node = await client.resource(NODES).get(NODE_NAME).catch(() => undefined);
      return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
        false;
    });
    await eventually(
      "the pod and Services created (the ServiceAccount exists)",
      async () =>
        (await cluster.run(
          ["apply", "-f", "-"],
          JSON.stringify({
            apiVersion: "v1",
            kind: "List",
            items: [WEB_POD, WEB_SERVICE, PLAIN_SERVICE, LONELY_SERVICE],
          }),
        )).code === 0,
    );
    await runOk(["wait", "--for=condition=Ready", "pod/web", "--timeout=90s"]);
    await eventually("the Endpoints of web", async () => {
      const ep = await client.resource(ENDPOINTS).get("web", { namespace: NS }).catch(() =>
        undefined
      ) as Endpoints | undefined;
      return (ep?.subsets?.[0]?.addresses?.length ?? 0) > 0;
    });
  });

  for (const version of KUBECTL_VERSIONS) {
    const kubectl = cluster.kubectlAt(version);
    const raw = (path: string, extra: readonly string[] = []) =>
      kubectl.run(["get", "--raw", path, ...extra]);
    const rawOk = async (path: string) =>
      cluster.ok(await raw(path), `kubectl ${version} get --raw ${path}`);

    await step(`kubectl ${version} get --raw through pods, services and nodes proxy`, async () => {
      assert.equal(
        await rawOk(`/api/v1/namespaces/${NS}/pods/web:8080/proxy/`),
        "hello-from-web\n",
      );
      assert.equal(
        await rawOk(`/api/v1/namespaces/${NS}/pods/web/proxy/index.html`),
        "hello-from-web\n",
      );
      assert.equal(
        await rawOk(`/api/v1/namespaces/${NS}/services/web:http/proxy/`),
        "hello-from-web\n",
      );
      assert.equal(
        await rawOk(`/api/v1/namespaces/${NS}/services/web:80/proxy/`),
        "hello-from-web\n",
      );
      assert.equal(await rawOk(`/api/v1/nodes/${NODE_NAME}/proxy/healthz`), "ok");
    });

    await step(`kubectl ${version}: upstream's errors`, async () => {
      assert.equal(
        failed(await raw(`/api/v1/namespaces/${NS}/services/lonely/proxy/`), "lonely"),
        'Error from server (ServiceUnavailable): no endpoints available for service "lonely"',
      );
      // Without a port, only an unnamed endpoint port qualifies (web's are named).
      assert.equal(
        failed(await raw(`/api/v1/namespaces/${NS}/services/web/proxy/`), "web"),
        'Error from server (ServiceUnavailable): no endpoints available for service "web"',
      );
      assert.equal(
        failed(await raw(`/api/v1/namespaces/${NS}/pods/nope:80/proxy/`), "nope"),
        'Error from server (NotFound): pods "nope" not found',
      );
      assert.equal(
        failed(await raw(`/api/v1/namespaces/${NS}/services/web:81/proxy/`), "web:81"),
        'Error from server (ServiceUnavailable): no service port 81 found for service "web"',
      );
      // The backend's own 404 comes through as it is (not a Status).
      assert.match(
        failed(await raw(`/api/v1/namespaces/${NS}/pods/web:8080/proxy/missing`), "missing"),
        /^Error from server \(NotFound\)/,
      );
      assert.equal(
        failed(
          await raw(`/api/v1/namespaces/${NS}/pods/web:8080/proxy/`, ["--as=alice"]),
          "alice",
        ),
        'Error from server (Forbidden): pods "web:8080" is forbidden: User "alice" cannot get ' +
          'resource "pods/proxy" in API group "" in the namespace "default"',
      );
    });
  }

  await step("a user granted pods/proxy gets through", async () => {
    await runOk(["create", "role", "pod-proxy", "--verb=get", "--resource=pods/proxy"]);
    await runOk(["create", "rolebinding", "alice-proxy", "--role=pod-proxy", "--user=alice"]);
    await eventually("alice's access", async () => {
      const r = await cluster.run([
        "get",
        "--raw",
        `/api/v1/namespaces/${NS}/pods/web:8080/proxy/`,
        "--as=alice",
      ]);
      return r.code === 0 && r.stdout === "hello-from-web\n";
    });
    assert.equal(
      failed(
        await cluster.run([
          "get",
          "--raw",
          `/api/v1/namespaces/${NS}/services/web/proxy/`,
          "--as=alice",
        ]),
        "alice services",
      ),
      'Error from server (Forbidden): services "web" is forbidden: User "alice" cannot get ' +
        'resource "services/proxy" in API group "" in the namespace "default"',
    );
  });

  for (const version of PROXY_VERSIONS) {
    await step(`kubectl ${version} proxy in front of services/plain/proxy/`, async () => {
      await using proxy = await cluster.kubectlAt(version).spawn(["proxy", "--port=0"]);
      const out = await proxy.waitForOutput(/Starting to serve on 127\.0\.0\.1:\d+/);
      const port = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out)![1];
      const named = await fetch(
        `http://127.0.0.1:${port}/api/v1/namespaces/${NS}/services/web:http/proxy/`,
      );
      assert.equal(await named.text(), "hello-from-web\n");
      const base = `http://127.0.0.1:${port}/api/v1/namespaces/${NS}/services/plain/proxy`;
      const index = await fetch(`${base}/`);
      assert.equal(index.status, 200);
      assert.equal(await index.text(), "hello-from-web\n");
      const links = await fetch(`${base}/links.html`);
      assert.equal(
        await links.text(),
        `<a href="/api/v1/namespaces/${NS}/services/plain/proxy/docs/">docs</a> ` +
          `<img src="/api/v1/namespaces/${NS}/services/plain/proxy/logo.png"> ` +
          `<a href="https://example.com/">x</a>`,
      );
      const bare = await fetch(base, { redirect: "manual" });
      assert.equal(bare.status, 301);
      assert.equal(bare.headers.get("location"), `/api/v1/namespaces/${NS}/services/plain/proxy/`);
      await bare.body?.cancel();
    });
  }

  await step(
    "kubectl cluster-info names the DNS Service, whose proxy answers as upstream",
    async () => {
      await runOk(["apply", "-f", "-"], JSON.stringify(DNS_SERVICE));
      const info = await runOk(["cluster-info"]);
      const url = /CoreDNS is running at (https:\/\/\S+)/.exec(stripAnsi(info));
      assert.ok(url, info);
      const path = new URL(url[1]!).pathname;
      assert.equal(path, "/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy");
      // Node-local DNS: the Service has no selector and so no Endpoints object.
      assert.equal(
        failed(await cluster.run(["get", "--raw", `${path}/`]), "kube-dns"),
        'Error from server (NotFound): endpoints "kube-dns" not found',
      );
    },
  );

  await step("an upgrade through pods/proxy is relayed both ways", async () => {
    const { endpoint, credentials } = await readAdminKubeconfig(server.kubeconfig);
    const url = new URL(endpoint.url);
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: endpoint.caPem,
      cert: credentials.certPem,
      key: credentials.keyPem,
      ALPNProtocols: ["http/1.1"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("secureConnect", () => resolve());
        socket.once("error", reject);
      });
      let received = "";
      socket.on("data", (d: Buffer) => received += d.toString("latin1"));
      const until = async (pattern: RegExp) => {
        for (let i = 0; i < 200 && !pattern.test(received); i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.match(received, pattern);
      };
      socket.write(
        `GET /api/v1/namespaces/${NS}/pods/web:9000/proxy/echo HTTP/1.1\r\nHost: ${url.host}\r\n` +
          "Connection: Upgrade\r\nUpgrade: echo\r\n\r\n",
      );
      await until(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      // The pod echoes the request head it was sent, then what follows.
      await until(/GET \/echo HTTP\/1\.1\r\n/);
      assert.match(received, /X-Forwarded-For: 127\.0\.0\.1\r\n/i);
      socket.write("ping-through-the-proxy\n");
      await until(/ping-through-the-proxy\n/);
    } finally {
      socket.destroy();
    }
  });
});
