import assert from "node:assert/strict";
import tls from "node:tls";
import type { Buffer } from "node:buffer";
import { RecordingLogger } from "../util/logger.ts";
import { createTestPki } from "./_test_https.ts";
import { ApiError } from "./errors.ts";
import type { ResourceRequest } from "./handlers/context.ts";
import {
  kubeletLogPath,
  kubeletResponseError,
  parsePodLogOptions,
  podLogContainer,
  PodLogHook,
  type PodLogOptions,
  podLogOptionsErrors,
} from "./pod_logs.ts";
import type { Node } from "./types/core_v1_node.ts";
import type { Pod } from "./types/core_v1_pod.ts";
import { invalidMessage } from "./validation/field_errors.ts";

const NO_OPTIONS: PodLogOptions = {
  follow: false,
  previous: false,
  timestamps: false,
  insecureSkipTLSVerifyBackend: false,
};

Deno.test("parsePodLogOptions() decodes kubectl's query", () => {
  assert.deepEqual(
    parsePodLogOptions(
      new URLSearchParams(
        "container=c1&follow=true&tailLines=5&timestamps=true&previous=false&sinceSeconds=30&limitBytes=10",
      ),
    ),
    {
      container: "c1",
      follow: true,
      previous: false,
      timestamps: true,
      sinceSeconds: 30,
      tailLines: 5,
      limitBytes: 10,
      insecureSkipTLSVerifyBackend: false,
    },
  );
  assert.deepEqual(parsePodLogOptions(new URLSearchParams("")), NO_OPTIONS);
});

Deno.test("parsePodLogOptions() refuses values that do not parse with 400", async (t) => {
  for (const query of ["tailLines=ten", "sinceSeconds=1e3", "sinceTime=monday"]) {
    await t.step(query, () => {
      assert.throws(() => parsePodLogOptions(new URLSearchParams(query)), (err) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 400);
        assert.equal(err.reason, "BadRequest");
        return true;
      });
    });
  }
});

Deno.test("podLogOptionsErrors() words invalid options as upstream", async (t) => {
  const cases: [string, Partial<PodLogOptions>, string][] = [
    [
      "negative tail",
      { tailLines: -1 },
      "tailLines: Invalid value: -1: must be greater than or equal to 0",
    ],
    ["zero limit", { limitBytes: 0 }, "limitBytes: Invalid value: 0: must be greater than 0"],
    ["zero since", { sinceSeconds: 0 }, "sinceSeconds: Invalid value: 0: must be greater than 0"],
    [
      "both since",
      { sinceSeconds: 5, sinceTime: "2026-12-01T10:00:00Z" },
      "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
    ],
    [
      "unknown stream",
      { stream: "Both" },
      'stream: Unsupported value: "Both": supported values: "All", "Stderr", "Stdout"',
    ],
  ];
  for (const [name, extra, want] of cases) {
    await t.step(name, () => {
      const errors = podLogOptionsErrors({ ...NO_OPTIONS, ...extra });
      assert.equal(errors.length, 1);
      assert.ok(
        invalidMessage("PodLogOptions", { name: "web", errors }).startsWith(
          'PodLogOptions "web" is invalid: ',
        ),
      );
      assert.ok(errors[0]!.toString().endsWith(want), errors[0]!.toString());
    });
  }
  assert.deepEqual(podLogOptionsErrors({ ...NO_OPTIONS, tailLines: 0, limitBytes: 1 }), []);
});

function pod(containers: string[], inits: string[] = [], nodeName = "n1"): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: {
      nodeName,
      containers: containers.map((name) => ({ name, image: "busybox" })),
      initContainers: inits.map((name) => ({ name, image: "busybox" })),
    },
  } as Pod;
}

Deno.test("podLogContainer() defaults the only container and names the choices", async (t) => {
  const cases: [string, Pod, string | undefined, string | Error][] = [
    ["only container", pod(["app"]), undefined, "app"],
    ["named", pod(["a", "b"]), "b", "b"],
    ["init container", pod(["a", "b"], ["setup"]), "setup", "setup"],
    [
      "several",
      pod(["a", "b"]),
      undefined,
      new Error("a container name must be specified for pod web, choose one of: [a b]"),
    ],
    [
      "several with inits",
      pod(["a", "b"], ["i1", "i2"]),
      undefined,
      new Error(
        "a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [i1 i2]",
      ),
    ],
    ["unknown", pod(["a"]), "y", new Error("container y is not valid for pod web")],
  ];
  for (const [name, p, container, want] of cases) {
    await t.step(name, () => {
      if (typeof want === "string") {
        assert.equal(podLogContainer(p, container), want);
        return;
      }
      assert.throws(() => podLogContainer(p, container), (err) => {
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, 400);
        assert.equal(err.message, want.message);
        return true;
      });
    });
  }
});

Deno.test("kubeletLogPath() builds the kubelet's /containerLogs URL", () => {
  assert.equal(
    kubeletLogPath({ namespace: "default", name: "web", container: "app" }, NO_OPTIONS),
    "/containerLogs/default/web/app",
  );
  assert.equal(
    kubeletLogPath({ namespace: "default", name: "web", container: "app" }, {
      ...NO_OPTIONS,
      follow: true,
      previous: true,
      timestamps: true,
      tailLines: 5,
      limitBytes: 100,
      sinceTime: "2026-12-01T10:00:00.5+01:00",
    }),
    "/containerLogs/default/web/app?follow=true&limitBytes=100&previous=true&sinceTime=2026-12-01T09%3A00%3A00Z&tailLines=5&timestamps=true",
  );
});

Deno.test("kubeletResponseError() reports kubelet answers as upstream's response checker", async (t) => {
  const cases: [number, string, number, string, string][] = [
    [
      400,
      'container "app" in pod "web" is waiting to start: ContainerCreating',
      400,
      "BadRequest",
      'container "app" in pod "web" is waiting to start: ContainerCreating',
    ],
    [500, "boom", 500, "InternalError", "Internal error occurred: boom"],
    [
      404,
      'pod "web" does not exist',
      404,
      "NotFound",
      "the server could not find the requested resource ( pods/log web)",
    ],
    [
      403,
      "Forbidden (user=x, verb=get, resource=nodes, subresource(s)=[proxy])",
      403,
      "Forbidden",
      "Forbidden (user=x, verb=get, resource=nodes, subresource(s)=[proxy]) ( pods/log web)",
    ],
    [
      401,
      "Unauthorized",
      401,
      "Unauthorized",
      "the server has asked for the client to provide credentials ( pods/log web)",
    ],
  ];
  for (const [status, body, code, reason, message] of cases) {
    await t.step(String(status), () => {
      const err = kubeletResponseError(status, { body, name: "web" });
      assert.equal(err.code, code);
      assert.equal(err.reason, reason);
      assert.equal(err.message, message);
    });
  }
});

/** A stand-in kubelet over TLS: records request heads and answers with `answer`. */
async function startFakeKubelet(
  pki: Awaited<ReturnType<typeof createTestPki>>,
  answer: (head: string, socket: tls.TLSSocket) => void,
) {
  const heads: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const peers: (string | undefined)[] = [];
  const server = tls.createServer({
    cert: pki.serving.certPem,
    key: pki.serving.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
  }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    peers.push(socket.getPeerCertificate().subject?.CN as string | undefined);
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end >= 0 && !heads.includes(head.slice(0, end))) {
        heads.push(head.slice(0, end));
        answer(head.slice(0, end), socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    heads,
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function logRequest(query: string, signal = new AbortController().signal): ResourceRequest {
  const url = new URL(`https://127.0.0.1:6443/api/v1/namespaces/default/pods/web/log${query}`);
  return {
    info: { namespace: "default", name: "web", verb: "get", subresource: "log" },
    url,
    query: url.searchParams,
    headers: new Headers(),
    method: "GET",
    signal,
  } as unknown as ResourceRequest;
}

function hook(
  pki: Awaited<ReturnType<typeof createTestPki>>,
  options: { port: number; pod?: Pod },
): PodLogHook {
  const node: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "n1" },
    status: {
      addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
      daemonEndpoints: { kubeletEndpoint: { Port: options.port } },
    },
  } as Node;
  return new PodLogHook({
    getPod: (ns, name) =>
      Promise.resolve(ns === "default" && name === "web" ? options.pod ?? pod(["app"]) : undefined),
    getNode: (name) => Promise.resolve(name === "n1" ? node : undefined),
    credentials: () => ({ certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem }),
    logger: new RecordingLogger(),
  });
}

Deno.test("PodLogHook streams the kubelet's chunked answer as it arrives", async () => {
  await using pki = await createTestPki();
  let sendMore!: () => void;
  const more = new Promise<void>((resolve) => (sendMore = resolve));
  const kubelet = await startFakeKubelet(pki, (_head, socket) => {
    socket.write(
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n6\r\nhello\n\r\n",
    );
    more.then(() => socket.write("6\r\nworld\n\r\n0\r\n\r\n"));
  });
  try {
    const res = await hook(pki, { port: kubelet.port }).handle(
      logRequest("?follow=true&tailLines=2&timestamps=true"),
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain");
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "hello\n");
    sendMore();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "world\n");
    assert.equal((await reader.read()).done, true);
    assert.match(
      kubelet.heads[0]!,
      /^GET \/containerLogs\/default\/web\/app\?follow=true&tailLines=2&timestamps=true HTTP\/1\.1\r\n/,
    );
    assert.match(kubelet.heads[0]!, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${kubelet.port}`));
    assert.deepEqual(kubelet.peers, ["kube-apiserver-kubelet-client"]);
  } finally {
    await kubelet.close();
  }
});

Deno.test("PodLogHook passes a long answer on whole to a client that reads slowly", async () => {
  await using pki = await createTestPki();
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(200)}\n`);
  const kubelet = await startFakeKubelet(pki, (_head, socket) => {
    socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
    for (const line of lines) socket.write(`${line.length.toString(16)}\r\n${line}\r\n`);
    socket.end("0\r\n\r\n");
  });
  try {
    const res = await hook(pki, { port: kubelet.port }).handle(logRequest(""));
    const reader = res.body!.getReader();
    let text = "";
    for (let n = 0;; n++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      if (n % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(text, lines.join(""));
  } finally {
    await kubelet.close();
  }
});

Deno.test("PodLogHook ends the kubelet's stream when the client goes away", async () => {
  await using pki = await createTestPki();
  let kubeletClosed!: () => void;
  const closed = new Promise<void>((resolve) => (kubeletClosed = resolve));
  const kubelet = await startFakeKubelet(pki, (_head, socket) => {
    socket.on("close", () => kubeletClosed());
    socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nab\n\r\n");
  });
  try {
    const abort = new AbortController();
    const res = await hook(pki, { port: kubelet.port }).handle(
      logRequest("?follow=true", abort.signal),
    );
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "ab\n");
    abort.abort();
    await closed;
    assert.equal((await reader.read()).done, true);
  } finally {
    await kubelet.close();
  }
});

Deno.test("PodLogHook turns kubelet errors and missing objects into Statuses", async (t) => {
  await using pki = await createTestPki();
  const message = 'container "app" in pod "web" is waiting to start: ContainerCreating';
  const kubelet = await startFakeKubelet(pki, (_head, socket) => {
    socket.write(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: ${message.length}\r\n\r\n${message}`,
    );
  });
  try {
    const cases: [string, Pod | undefined, string, number, string][] = [
      ["kubelet 400", undefined, "", 400, message],
      [
        "invalid options",
        undefined,
        "?tailLines=-2",
        422,
        'PodLogOptions "web" is invalid: tailLines: Invalid value: -2: must be greater than or equal to 0',
      ],
      ["no such node", pod(["app"], [], "n2"), "", 404, 'nodes "n2" not found'],
      [
        "two containers",
        pod(["a", "b"]),
        "",
        400,
        "a container name must be specified for pod web, choose one of: [a b]",
      ],
    ];
    for (const [name, p, query, code, text] of cases) {
      await t.step(name, async () => {
        await assert.rejects(
          hook(pki, { port: kubelet.port, ...(p ? { pod: p } : {}) }).handle(logRequest(query)),
          (err) => {
            assert.ok(err instanceof ApiError);
            assert.equal(err.code, code);
            assert.equal(err.message, text);
            return true;
          },
        );
      });
    }
    await t.step("an unscheduled pod has no logs", async () => {
      const res = await hook(pki, { port: kubelet.port, pod: pod(["app"], [], "") }).handle(
        logRequest(""),
      );
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "");
    });
  } finally {
    await kubelet.close();
  }
  await t.step("a kubelet that does not listen", async () => {
    await assert.rejects(hook(pki, { port: kubelet.port }).handle(logRequest("")), (err) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 500);
      assert.match(
        err.message,
        new RegExp(
          `^Get "https://127\\.0\\.0\\.1:${kubelet.port}/containerLogs/default/web/app": dial tcp 127\\.0\\.0\\.1:${kubelet.port}: connect: connection refused$`,
        ),
      );
      return true;
    });
  });
});
