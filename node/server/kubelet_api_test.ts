import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import tls from "node:tls";
import { Client } from "../../control/client/client.ts";
import type { Transport, TransportRequestOptions } from "../../control/client/transport.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { makeTestCa } from "./_test_support.ts";
import { startKubeletApi } from "./kubelet_api.ts";
import { ClientApiReviews } from "./kubelet_auth.ts";
import type { KubeletRuntime } from "./kubelet_handler.ts";

/** Answers TokenReviews and SubjectAccessReviews as an API server would, recording them. */
class ReviewingTransport implements Transport {
  readonly requests: { method: string; path: string; body: Record<string, unknown> }[] = [];

  request(method: string, path: string, options: TransportRequestOptions = {}) {
    const body = options.body as Record<string, unknown>;
    this.requests.push({ method, path, body });
    const spec = body.spec as Record<string, unknown>;
    let status: Record<string, unknown>;
    if (path.endsWith("/tokenreviews")) {
      status = spec.token === "good"
        ? {
          authenticated: true,
          user: { username: "alice", uid: "a-1", groups: ["devs"], extra: { scope: ["x"] } },
        }
        : { authenticated: false, error: "invalid bearer token" };
    } else {
      const attrs = spec.resourceAttributes as Record<string, unknown>;
      status = { allowed: spec.user === "alice" && attrs.subresource === "proxy" };
    }
    return Promise.resolve(
      new Response(JSON.stringify({ ...body, status }), {
        status: 201,
        headers: { "content-type": "application/json" },
      }),
    );
  }
}

Deno.test("ClientApiReviews sends TokenReviews and SubjectAccessReviews as the kubelet", async () => {
  const transport = new ReviewingTransport();
  const reviews = new ClientApiReviews(new Client(transport));
  assert.deepEqual(await reviews.reviewToken("good"), {
    authenticated: true,
    user: { username: "alice", uid: "a-1", groups: ["devs"], extra: { scope: ["x"] } },
  });
  assert.deepEqual(await reviews.reviewToken("bad"), {
    authenticated: false,
    error: "invalid bearer token",
  });
  const user = { username: "alice", uid: "a-1", groups: ["devs"], extra: { scope: ["x"] } };
  const attrs = {
    verb: "get",
    resource: "nodes",
    subresource: "proxy",
    name: "edge-1",
    apiVersion: "v1",
    path: "/containerLogs/a/b/c",
  } as const;
  assert.equal(await reviews.reviewAccess(user, attrs), true);
  assert.equal(await reviews.reviewAccess(user, { ...attrs, subresource: "pods" }), false);
  assert.deepEqual(transport.requests.map((r) => [r.method, r.path]), [
    ["POST", "/apis/authentication.k8s.io/v1/tokenreviews"],
    ["POST", "/apis/authentication.k8s.io/v1/tokenreviews"],
    ["POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"],
    ["POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews"],
  ]);
  assert.deepEqual(transport.requests[0]!.body, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    metadata: {},
    spec: { token: "good" },
  });
  assert.deepEqual(transport.requests[2]!.body, {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    metadata: {},
    spec: {
      resourceAttributes: {
        verb: "get",
        version: "v1",
        resource: "nodes",
        subresource: "proxy",
        name: "edge-1",
      },
      user: "alice",
      groups: ["devs"],
      uid: "a-1",
      extra: { scope: ["x"] },
    },
  });
});

async function get(port: number, path: string, token: string): Promise<string> {
  const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.once("secureConnect", () =>
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer ${token}\r\n` +
            "Connection: close\r\n\r\n",
        ));
    });
  } finally {
    socket.destroy();
  }
}

Deno.test("startKubeletApi() serves the node's kubelet API with the API's reviews", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubelet-api-" });
  try {
    const ca = await makeTestCa(dir);
    const serving = await ca.serving();
    const transport = new ReviewingTransport();
    const unused = () => Promise.reject(new Error("not used"));
    await using server = await startKubeletApi({
      nodeName: "edge-1",
      pods: { runningPods: () => [], findContainer: () => undefined },
      runtime: {
        exec: unused,
        attach: unused,
        portForward: unused,
        containerStatus: unused,
      } as unknown as KubeletRuntime,
      client: new Client(transport),
      clientCaPem: ca.certPem,
      certPem: serving.certPem,
      keyPem: serving.keyPem,
      port: 0,
      hostname: "127.0.0.1",
      clock: systemClock,
      logger: new RecordingLogger(),
    });
    assert.match(await get(server.port, "/healthz", "good"), /^HTTP\/1\.1 200 OK\r\n[\s\S]*ok$/);
    assert.match(await get(server.port, "/healthz", "bad"), /^HTTP\/1\.1 401 /);
    const pods = await get(server.port, "/pods", "good");
    assert.match(pods, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(pods, /"kind":"PodList"/);
    const reviewed = transport.requests.filter((r) => r.path.endsWith("subjectaccessreviews"))
      .map((r) =>
        (r.body.spec as { resourceAttributes: { subresource: string } })
          .resourceAttributes.subresource
      );
    // nodes/proxy was allowed for /healthz: /pods reuses that decision.
    assert.deepEqual(reviewed, ["healthz", "proxy", "pods"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
