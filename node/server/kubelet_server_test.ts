import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { FakeReviews, makeTestCa } from "./_test_support.ts";
import { clusterCaVerifier, KubeletAuth } from "./kubelet_auth.ts";
import { KubeletHandler, type KubeletRuntime } from "./kubelet_handler.ts";
import { startKubeletServer } from "./kubelet_server.ts";

/** A stand-in streaming server: answers 101 and echoes bytes upper-cased, recording the head. */
async function startBackend() {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let head = "";
    let upgraded = false;
    socket.on("data", (chunk: Buffer) => {
      if (upgraded) {
        const text = chunk.toString("latin1");
        if (text === "bye") {
          socket.end();
          return;
        }
        socket.write(text.toUpperCase());
        return;
      }
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      heads.push(head.slice(0, end));
      upgraded = true;
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
          "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n",
      );
      const rest = head.slice(end + 4);
      if (rest !== "") socket.write(rest.toUpperCase());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    heads,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One TLS connection to the server; `read()` waits for at least `n` more bytes. */
async function connect(port: number, options: { certPem?: string; keyPem?: string } = {}) {
  const socket = tls.connect({
    host: "127.0.0.1",
    port,
    rejectUnauthorized: false,
    ...(options.certPem ? { cert: options.certPem, key: options.keyPem } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", reject);
  });
  let received = "";
  let wake: (() => void) | undefined;
  let ended = false;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    wake?.();
  });
  socket.on("close", () => {
    ended = true;
    wake?.();
  });
  return {
    socket,
    write: (text: string) => socket.write(text),
    /** Waits until the received text matches `pattern` (or the socket closes); returns it all. */
    async until(pattern: RegExp): Promise<string> {
      while (!pattern.test(received) && !ended) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      return received;
    },
    get ended() {
      return ended;
    },
    close: () => socket.destroy(),
  };
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "kubelet-server-" });
  const ca = await makeTestCa(dir);
  const serving = await ca.serving();
  const apiClient = await ca.client("kube-apiserver-kubelet-client", ["system:masters"]);
  const stranger = await (await makeTestCa(join(dir), "other-ca")).client("mallory", [
    "system:masters",
  ]);
  const backend = await startBackend();
  const logPath = join(dir, "0.log");
  await Deno.writeTextFile(logPath, "2026-12-01T10:00:00Z stdout F hello\n");
  const pod = {
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { containers: [{ name: "app", image: "busybox" }] },
  } as Pod;
  const runtime: KubeletRuntime = {
    exec: () => Promise.resolve({ url: `http://127.0.0.1:${backend.port}/exec/TOKEN1` }),
    attach: () => Promise.resolve({ url: `http://127.0.0.1:${backend.port}/attach/TOKEN2` }),
    portForward: () => Promise.resolve({ url: `http://127.0.0.1:${backend.port}/portforward/T3` }),
    containerStatus: () =>
      Promise.resolve({ status: { state: "CONTAINER_RUNNING" } } as unknown as Awaited<
        ReturnType<KubeletRuntime["containerStatus"]>
      >),
  };
  const reviews = new FakeReviews();
  const logger = new RecordingLogger();
  const handler = new KubeletHandler({
    pods: {
      runningPods: () => [{ pod, sandboxId: "s1" }],
      findContainer: () => ({ podUid: "u1", containerId: "c1", logPath, sandboxId: "s1" }),
    },
    runtime,
    auth: new KubeletAuth({
      nodeName: "edge-1",
      reviews,
      clock: systemClock,
      verifyClientCertificate: clusterCaVerifier(ca.certPem),
    }),
    clock: systemClock,
    logger,
  });
  const server = await startKubeletServer({
    handler,
    port: 0,
    hostname: "127.0.0.1",
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    logger,
  });
  return {
    server,
    backend,
    apiClient,
    stranger,
    logPath,
    async [Symbol.asyncDispose]() {
      await server.close();
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("startKubeletServer() authenticates client certificates of the cluster CA only", async () => {
  await using s = await setup();
  const asApi = await connect(s.server.port, s.apiClient);
  asApi.write("GET /healthz HTTP/1.1\r\nHost: edge-1\r\n\r\n");
  assert.match(await asApi.until(/\r\n\r\nok$/), /^HTTP\/1\.1 200 OK\r\n/);
  asApi.close();
  for (const credentials of [{}, s.stranger]) {
    const c = await connect(s.server.port, credentials);
    c.write("GET /pods HTTP/1.1\r\nHost: edge-1\r\n\r\n");
    const answer = await c.until(/Unauthorized$/);
    assert.match(answer, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    c.close();
  }
});

Deno.test("startKubeletServer() streams a followed log as chunks as it grows", async () => {
  await using s = await setup();
  const c = await connect(s.server.port, s.apiClient);
  c.write("GET /containerLogs/default/web/app?follow=true HTTP/1.1\r\nHost: edge-1\r\n\r\n");
  const first = await c.until(/hello\n\r\n/);
  assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(first, /transfer-encoding: chunked\r\n/);
  await Deno.writeTextFile(s.logPath, "2026-12-01T10:00:01Z stdout F world\n", { append: true });
  assert.match(await c.until(/world\n\r\n/), /6\r\nworld\n\r\n$/);
  c.close();
});

Deno.test("startKubeletServer() proxies an exec upgrade raw to the streaming URL", async () => {
  await using s = await setup();
  const c = await connect(s.server.port, s.apiClient);
  c.write(
    "POST /exec/default/web/app?command=sh&input=1&output=1 HTTP/1.1\r\nHost: edge-1\r\n" +
      "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
      "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\nearly",
  );
  const answer = await c.until(/EARLY$/);
  assert.match(answer, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(answer, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io\r\n/);
  c.write("more bytes");
  assert.match(await c.until(/MORE BYTES$/), /MORE BYTES$/);
  const head = s.backend.heads[0]!;
  assert.match(head, /^POST \/exec\/TOKEN1\?command=sh&input=1&output=1 HTTP\/1\.1\r\n/);
  assert.match(head, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${s.backend.port}(\r\n|$)`));
  assert.match(head, /\r\nupgrade: SPDY\/3\.1(\r\n|$)/);
  assert.match(head, /\r\nx-stream-protocol-version: v4\.channel\.k8s\.io(\r\n|$)/);
  // The runtime ending the stream closes the client's connection.
  c.write("bye");
  await c.until(/^$a/);
  assert.equal(c.ended, true);
});
