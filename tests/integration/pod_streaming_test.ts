/**
 * The API server's `pods/exec`, `pods/attach` and `pods/portforward` routes end to end (as
 * root): skiff's HTTPS listener and the `PodStreamHook`s in front of the agent's kubelet API
 * and a real containerd. Each protocol kubectl speaks is spoken by skiff's own clients:
 * SPDY/3.1 (relayed untouched), WebSocket `v5.channel.k8s.io` (translated to SPDY v4, stdin
 * CLOSE, exit codes), and port-forward as WebSocket-tunnelled SPDY and as plain SPDY, to a
 * busybox httpd in the pod.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { TLSSocket } from "node:tls";
import { SpdySession, type SpdySocket } from "../../control/util/spdy/session.ts";
import { spdyClientUpgrade } from "../../control/util/spdy/upgrade.ts";
import { websocketClientHandshake } from "../../control/util/websocket/handshake.ts";
import { WebSocketConnection } from "../../control/util/websocket/websocket_connection.ts";
import { startStreamingApi } from "../_support/streaming_api.ts";
import { startStreamingNode } from "../_support/streaming_node.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const POD = "/api/v1/namespaces/default/pods/shell";

function commandQuery(cmd: readonly string[], flags: string): string {
  return [...cmd.map((c) => `command=${encodeURIComponent(c)}`), flags].join("&");
}

/** A v5 WebSocket client: channel contents, and a way to send on a channel. */
async function v5Client(socket: TLSSocket, path: string) {
  const { protocol, buffered } = await websocketClientHandshake(socket, {
    path,
    host: "127.0.0.1",
    protocols: ["v5.channel.k8s.io", "v4.channel.k8s.io"],
  });
  const channels: Record<number, string> = {};
  const got = Promise.withResolvers<void>();
  let want: { channel: number; text: string } | null = null;
  const ws = new WebSocketConnection(socket, {
    role: "client",
    buffered,
    onMessage: (m) => {
      if (typeof m === "string" || m.byteLength === 0) return;
      channels[m[0]!] = (channels[m[0]!] ?? "") + decoder.decode(m.subarray(1));
      if (want && (channels[want.channel] ?? "").includes(want.text)) got.resolve();
    },
  });
  return {
    protocol,
    ws,
    channels,
    send: (channel: number, data: Uint8Array | string) => {
      const bytes = typeof data === "string" ? encoder.encode(data) : data;
      ws.send(new Uint8Array([channel, ...bytes]));
    },
    waitFor: (channel: number, text: string) => {
      want = { channel, text };
      if ((channels[channel] ?? "").includes(text)) got.resolve();
      return got.promise;
    },
  };
}

/** SPDY inside WebSocket binary messages, as kubectl 1.31+ tunnels port-forward. */
function tunnelSocket(socket: TLSSocket, buffered: Uint8Array) {
  const listeners = {
    data: [] as ((c: Uint8Array) => void)[],
    close: [] as (() => void)[],
  };
  const ws = new WebSocketConnection(socket, {
    role: "client",
    buffered,
    onMessage: (m) => {
      if (typeof m !== "string") { for (const fn of listeners.data) fn(m); }
    },
    onClose: () => {
      for (const fn of listeners.close) fn();
    },
  });
  const spdySocket: SpdySocket = {
    write: (data) => ws.send(data),
    end: () => ws.close(1000),
    destroy: () => ws.destroy(),
    on: ((event: string, fn: never) => {
      if (event === "data") listeners.data.push(fn);
      if (event === "close" || event === "end") listeners.close.push(fn);
    }) as SpdySocket["on"],
  };
  return spdySocket;
}

/** Fetches `/` from the pod's httpd through a port-forward session. */
async function httpGetThrough(session: SpdySession, port: number): Promise<string> {
  const error = await session.openStream({
    streamType: "error",
    port: String(port),
    requestID: "0",
  });
  const data = await session.openStream({ streamType: "data", port: String(port), requestID: "0" });
  const reading = data.readAll();
  data.write(encoder.encode("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"));
  const text = decoder.decode(await reading);
  error.reset();
  return text;
}

Deno.test("pods/exec, attach and portforward reach containerd through the API server's hooks", async (t) => {
  await using node = await startStreamingNode();
  await using api = await startStreamingApi(node);
  async function step(name: string, fn: () => Promise<void>): Promise<void> {
    if (!await t.step(name, fn)) {
      throw new Error(`Step "${name}" failed; containerd's log ends:\n${await node.logTail()}`);
    }
  }

  await step("SPDY exec (kubectl 1.27–1.29) is relayed: output and exit code 3", async () => {
    const socket = await api.connect();
    const cmd = ["sh", "-c", "echo out; echo err >&2; exit 3"];
    const answer = await spdyClientUpgrade(socket, {
      path: `${POD}/exec?${commandQuery(cmd, "stdout=true&stderr=true")}`,
      host: "127.0.0.1",
      protocols: ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"],
    });
    assert.equal(answer.status, 101, decoder.decode(answer.buffered));
    assert.equal(answer.protocol, "v4.channel.k8s.io");
    const session = new SpdySession(socket, { role: "client", buffered: answer.buffered });
    const error = await session.openStream({ streamType: "error" });
    const stdout = await session.openStream({ streamType: "stdout" });
    const stderr = await session.openStream({ streamType: "stderr" });
    const [out, err, status] = await Promise.all([
      stdout.readAll(),
      stderr.readAll(),
      error.readAll(),
    ]);
    assert.equal(decoder.decode(out), "out\n");
    assert.equal(decoder.decode(err), "err\n");
    assert.deepEqual(JSON.parse(decoder.decode(status)).details.causes, [
      { reason: "ExitCode", message: "3" },
    ]);
    session.close();
  });

  await step("WebSocket v5 exec is translated to SPDY v4: channels and the exit code", async () => {
    const cmd = ["sh", "-c", "echo out; echo err >&2; exit 3"];
    const client = await v5Client(
      await api.connect(),
      `${POD}/exec?${commandQuery(cmd, "stdout=true&stderr=true")}`,
    );
    assert.equal(client.protocol, "v5.channel.k8s.io");
    const closed = await client.ws.closed;
    assert.equal(closed.code, 1000);
    assert.equal(client.channels[1], "out\n");
    assert.equal(client.channels[2], "err\n");
    const status = JSON.parse(client.channels[3] ?? "{}");
    assert.equal(status.status, "Failure");
    assert.equal(status.reason, "NonZeroExitCode");
    assert.deepEqual(status.details.causes, [{ reason: "ExitCode", message: "3" }]);
  });

  await step(
    "WebSocket v4 (no v5 offered) is relayed to the runtime, which speaks it",
    async () => {
      const socket = await api.connect();
      const cmd = ["sh", "-c", "echo v4 out; exit 4"];
      const { protocol, buffered } = await websocketClientHandshake(socket, {
        path: `${POD}/exec?${commandQuery(cmd, "stdout=true")}`,
        host: "127.0.0.1",
        protocols: ["v4.channel.k8s.io"],
      });
      assert.equal(protocol, "v4.channel.k8s.io");
      const channels: Record<number, string> = {};
      const ws = new WebSocketConnection(socket, {
        role: "client",
        buffered,
        onMessage: (m) => {
          if (typeof m === "string" || m.byteLength === 0) return;
          channels[m[0]!] = (channels[m[0]!] ?? "") + decoder.decode(m.subarray(1));
        },
      });
      assert.equal((await ws.closed).code, 1000);
      assert.equal(channels[1], "v4 out\n");
      assert.deepEqual(JSON.parse(channels[3] ?? "{}").details?.causes, [
        { reason: "ExitCode", message: "4" },
      ]);
    },
  );

  await step("WebSocket v5: stdin, then CLOSE [255, 0] ends cat with success", async () => {
    const client = await v5Client(
      await api.connect(),
      `${POD}/exec?${commandQuery(["cat"], "stdin=true&stdout=true&stderr=true")}`,
    );
    const big = "y".repeat(150_000);
    client.send(0, `hello\n${big}\n`);
    await client.waitFor(1, `${big}\n`);
    client.send(255, Uint8Array.of(0));
    const closed = await client.ws.closed;
    assert.equal(closed.code, 1000);
    assert.equal(client.channels[1], `hello\n${big}\n`);
    assert.deepEqual(JSON.parse(client.channels[3] ?? "{}"), { metadata: {}, status: "Success" });
  });

  await step("WebSocket v5 attach reaches the container's own stdin and stdout", async () => {
    const client = await v5Client(await api.connect(), `${POD}/attach?stdin=true&stdout=true`);
    client.send(0, "through attach\n");
    await client.waitFor(1, "got: through attach");
    client.ws.close(1000);
    await client.ws.closed;
  });

  await step("port-forward tunnelled in WebSocket (kubectl 1.31+) reaches httpd", async () => {
    const socket = await api.connect();
    const { protocol, buffered } = await websocketClientHandshake(socket, {
      path: `${POD}/portforward`,
      host: "127.0.0.1",
      protocols: ["SPDY/3.1+portforward.k8s.io"],
    });
    assert.equal(protocol, "SPDY/3.1+portforward.k8s.io");
    const session = new SpdySession(tunnelSocket(socket, buffered), { role: "client" });
    const response = await httpGetThrough(session, node.httpdPort);
    assert.match(response, /^HTTP\/1\.[01] 200 OK\r\n/);
    assert.match(response, /\r\n\r\nhello-from-httpd\n$/);
    session.close();
  });

  await step("SPDY port-forward (kubectl ≤1.30) is relayed and reaches httpd", async () => {
    const socket = await api.connect();
    const answer = await spdyClientUpgrade(socket, {
      path: `${POD}/portforward`,
      host: "127.0.0.1",
      protocols: ["portforward.k8s.io"],
    });
    assert.equal(answer.status, 101, decoder.decode(answer.buffered));
    const session = new SpdySession(socket, { role: "client", buffered: answer.buffered });
    assert.match(await httpGetThrough(session, node.httpdPort), /hello-from-httpd\n$/);
    session.close();
  });

  await step("requests that cannot stream get upstream's errors", async () => {
    using client = Deno.createHttpClient({ caCerts: [node.pki.ca.certPem] });
    const res = await fetch(`https://127.0.0.1:${api.port}${POD}/exec?command=ls`, { client });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).message, "Upgrade request required");
    const socket = await api.connect();
    const missing = await spdyClientUpgrade(socket, {
      path: "/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true",
      host: "127.0.0.1",
      protocols: ["v4.channel.k8s.io"],
    });
    assert.equal(missing.status, 404);
    socket.destroy();
  });
});
