import assert from "node:assert/strict";
import net from "node:net";
import { Buffer } from "node:buffer";
import { encodeWebSocketFrame, WebSocketFrameParser, WebSocketOpcode } from "./frame.ts";
import {
  chooseSubprotocol,
  isWebSocketUpgrade,
  websocketAccept,
  websocketClientHandshake,
  WebSocketHandshakeError,
  websocketUpgradeResponse,
} from "./handshake.ts";
import { type WebSocketClose, WebSocketConnection } from "./websocket_connection.ts";

/** Parses a request head off a raw server socket. */
function readRequest(socket: net.Socket): Promise<{ headers: Headers; rest: Uint8Array }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.pause();
      const headers = new Headers();
      for (const line of buf.subarray(0, end).toString("latin1").split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
      }
      resolve({ headers, rest: new Uint8Array(buf.subarray(end + 4)) });
    };
    socket.on("data", onData);
  });
}

/** A TCP server speaking skiff's WebSocket server side: echoes messages, reports closes. */
async function echoServer(protocols: readonly string[]) {
  const closes: WebSocketClose[] = [];
  const server = net.createServer(async (socket) => {
    const { headers, rest } = await readRequest(socket);
    assert.ok(isWebSocketUpgrade(headers));
    const protocol = chooseSubprotocol(headers, protocols);
    socket.write(websocketUpgradeResponse({ key: headers.get("sec-websocket-key")!, protocol }));
    const conn: { ws?: WebSocketConnection } = {};
    conn.ws = new WebSocketConnection(socket, {
      role: "server",
      buffered: rest,
      onMessage: (data) => {
        if (data === "close please") conn.ws?.close(4000, "asked");
        else conn.ws?.send(data);
      },
      onClose: (c) => closes.push(c),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    closes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

Deno.test("websocketAccept() computes RFC 6455's example", () => {
  assert.equal(websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("WebSocketConnection serves Deno's WebSocket client: subprotocol, messages, close", async () => {
  const server = await echoServer(["v5.channel.k8s.io", "v4.channel.k8s.io"]);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/exec`, [
      "v4.channel.k8s.io",
      "v5.channel.k8s.io",
    ]);
    ws.binaryType = "arraybuffer";
    const messages: (string | number[])[] = [];
    const done = Promise.withResolvers<CloseEvent>();
    ws.onmessage = (e) => {
      messages.push(typeof e.data === "string" ? e.data : [...new Uint8Array(e.data)]);
      if (messages.length === 3) ws.send("close please");
    };
    ws.onclose = (e) => done.resolve(e);
    await new Promise((resolve) => ws.onopen = resolve);
    assert.equal(ws.protocol, "v4.channel.k8s.io", "the client's first the server supports");
    ws.send(Uint8Array.of(1, 104, 105));
    ws.send("text");
    ws.send(new Uint8Array(100_000));
    const closed = await done.promise;
    assert.deepEqual(messages.slice(0, 2), [[1, 104, 105], "text"]);
    assert.equal((messages[2] as number[]).length, 100_000);
    assert.equal(closed.code, 4000);
    assert.equal(closed.reason, "asked");
    for (let i = 0; i < 100 && server.closes.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(server.closes, [{ code: 4000, reason: "asked" }], "the client's echo");
  } finally {
    await server.close();
  }
});

Deno.test("WebSocketConnection as a client talks to Deno's WebSocket server", async () => {
  const abort = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: abort.signal, onListen: () => {} },
    (req) => {
      const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "v4.channel.k8s.io" });
      socket.binaryType = "arraybuffer";
      socket.onmessage = (e) => {
        if (typeof e.data === "string") socket.close(1000, "bye");
        else socket.send(new Uint8Array([...new Uint8Array(e.data)].reverse()));
      };
      return response;
    },
  );
  try {
    const socket = await connect(server.addr.port);
    const { protocol, buffered } = await websocketClientHandshake(socket, {
      path: "/x",
      host: `127.0.0.1:${server.addr.port}`,
      protocols: ["v4.channel.k8s.io"],
    });
    assert.equal(protocol, "v4.channel.k8s.io");
    const got: (Uint8Array | string)[] = [];
    const ws = new WebSocketConnection(socket, {
      role: "client",
      buffered,
      onMessage: (m) => {
        got.push(m);
        ws.send("done");
      },
    });
    ws.send(Uint8Array.of(1, 2, 3));
    const closed = await ws.closed;
    assert.deepEqual(got, [Uint8Array.of(3, 2, 1)]);
    assert.deepEqual(closed, { code: 1000, reason: "bye" });
  } finally {
    abort.abort();
    await server.finished;
  }
});

Deno.test("WebSocketConnection reassembles fragments, answers pings and refuses bad frames", async (t) => {
  const server = await echoServer([]);
  try {
    await t.step("fragments and a ping between them", async () => {
      const socket = await connect(server.port);
      const { buffered } = await websocketClientHandshake(socket, { path: "/", host: "h" });
      const parser = new WebSocketFrameParser({ expectMasked: false });
      const frames: { opcode: number; payload: number[] }[] = [];
      const got = Promise.withResolvers<void>();
      socket.on("data", (chunk: Uint8Array) => {
        for (const f of parser.push(chunk)) {
          frames.push({ opcode: f.opcode, payload: [...f.payload] });
        }
        if (frames.length === 2) got.resolve();
      });
      assert.equal(buffered.byteLength, 0);
      const mask = Uint8Array.of(9, 8, 7, 6);
      socket.write(
        encodeWebSocketFrame({
          opcode: WebSocketOpcode.Binary,
          payload: Uint8Array.of(1),
          fin: false,
          mask,
        }),
      );
      socket.write(
        encodeWebSocketFrame({ opcode: WebSocketOpcode.Ping, payload: Uint8Array.of(42), mask }),
      );
      socket.write(
        encodeWebSocketFrame({ opcode: 0, payload: Uint8Array.of(2), fin: false, mask }),
      );
      socket.write(encodeWebSocketFrame({ opcode: 0, payload: Uint8Array.of(3), mask }));
      await got.promise;
      assert.deepEqual(frames, [
        { opcode: WebSocketOpcode.Pong, payload: [42] },
        { opcode: WebSocketOpcode.Binary, payload: [1, 2, 3] },
      ]);
      socket.destroy();
    });
    await t.step("an unmasked client frame closes with 1002", async () => {
      const socket = await connect(server.port);
      await websocketClientHandshake(socket, { path: "/", host: "h" });
      const parser = new WebSocketFrameParser({ expectMasked: false });
      const ended = Promise.withResolvers<number>();
      socket.on("data", (chunk: Uint8Array) => {
        for (const f of parser.push(chunk)) {
          if (f.opcode === WebSocketOpcode.Close) {
            ended.resolve((f.payload[0]! << 8) | f.payload[1]!);
          }
        }
      });
      socket.write(
        encodeWebSocketFrame({ opcode: WebSocketOpcode.Binary, payload: Uint8Array.of(1) }),
      );
      assert.equal(await ended.promise, 1002);
      socket.destroy();
    });
    await t.step("a socket gone without a close frame reads as 1006", async () => {
      const before = server.closes.length;
      const socket = await connect(server.port);
      await websocketClientHandshake(socket, { path: "/", host: "h" });
      socket.destroy();
      const gone = () => server.closes.slice(before).some((c) => c.code === 1006);
      for (let i = 0; i < 100 && !gone(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(gone(), JSON.stringify(server.closes));
    });
  } finally {
    await server.close();
  }
});

Deno.test("websocketClientHandshake() fails on a refused upgrade with the status and body", async () => {
  const server = net.createServer(async (socket) => {
    await readRequest(socket);
    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nnope");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  try {
    const socket = await connect((server.address() as net.AddressInfo).port);
    await assert.rejects(
      websocketClientHandshake(socket, { path: "/", host: "h" }),
      (err: unknown) =>
        err instanceof WebSocketHandshakeError && err.status === 400 && err.body === "nope",
    );
    socket.destroy();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
