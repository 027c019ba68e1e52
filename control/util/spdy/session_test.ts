import assert from "node:assert/strict";
import net from "node:net";
import { encodeDataFrame, SpdyFrameParser, SpdyRstStatus } from "./frames.ts";
import { FakeClock } from "../clock.ts";
import { SpdySession, type SpdyStream, SpdyStreamError } from "./session.ts";

/** A connected client/server session pair over loopback TCP. */
async function pair(
  onStream: (stream: SpdyStream) => void,
  goaways: number[] = [],
  announceWindow = false,
) {
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((s) => accepted.resolve(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const clientSocket = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });
  const serverSocket = await accepted.promise;
  const serverSession = new SpdySession(serverSocket, {
    role: "server",
    onStream,
    onGoAway: (status) => goaways.push(status),
    announceWindow,
  });
  const client = new SpdySession(clientSocket, { role: "client" });
  return {
    client,
    server: serverSession,
    async [Symbol.asyncDispose]() {
      client.destroy();
      serverSession.destroy();
      await Promise.all([client.closed, serverSession.closed]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

Deno.test("SpdySession streams: headers, data both ways, half-closes", async () => {
  const seen: Record<string, string>[] = [];
  await using p = await pair((stream) => {
    seen.push({ ...stream.headers });
    stream.reply({ "x-reply": "yes" });
    // An echo in upper case until the client half-closes, then "bye" and FIN.
    stream.onData((d) => stream.write(new TextEncoder().encode(text(d).toUpperCase())));
    stream.onEnd(() => {
      stream.write(new TextEncoder().encode("bye"));
      stream.end();
    });
  });
  const stream = await p.client.openStream({ streamType: "stdin", port: "80" });
  assert.equal(stream.id, 1);
  assert.deepEqual(seen, [{ streamtype: "stdin", port: "80" }]);
  assert.deepEqual(stream.replyHeaders, { "x-reply": "yes" });
  const reading = stream.readAll();
  stream.write(new TextEncoder().encode("hello "));
  stream.write(new TextEncoder().encode("world"));
  stream.end();
  assert.equal(text(await reading), "HELLO WORLDbye");
  const second = await p.client.openStream({ streamType: "stdout" });
  assert.equal(second.id, 3, "client streams are odd");
  await p.client.ping();
});

Deno.test("SpdySession: a stream opened with FIN, resets, refused streams and GOAWAY", async (t) => {
  let refuse = false;
  const goaways: number[] = [];
  await using p = await pair((stream) => {
    if (refuse) return stream.reset(SpdyRstStatus.RefusedStream);
    stream.reply({}, { fin: stream.headers["streamtype"] === "error" });
    if (stream.headers["streamtype"] === "error") return;
    stream.onData(() => stream.reset());
  }, goaways);
  await t.step("the peer's SYN_REPLY with FIN ends the stream's reading", async () => {
    const s = await p.client.openStream({ streamType: "error" }, { fin: true });
    assert.equal((await s.readAll()).byteLength, 0);
    assert.equal(s.closed, true);
  });
  await t.step("a reset ends the stream with its status", async () => {
    const s = await p.client.openStream({ streamType: "stdin" });
    const closed = new Promise<SpdyStreamError | null>((resolve) => s.onClose(resolve));
    s.write(Uint8Array.of(1));
    const err = await closed;
    assert.ok(err instanceof SpdyStreamError);
    assert.equal(err.status, SpdyRstStatus.Cancel);
    assert.equal(s.write(Uint8Array.of(2)), false);
  });
  await t.step("a refused stream rejects openStream", async () => {
    refuse = true;
    await assert.rejects(
      p.client.openStream({ streamType: "x" }),
      (err: unknown) =>
        err instanceof SpdyStreamError && err.status === SpdyRstStatus.RefusedStream,
    );
  });
  await t.step("GOAWAY reaches the peer, and closing ends both sessions", async () => {
    p.client.close();
    await p.server.closed;
    await p.client.closed;
    assert.equal(p.client.open, false);
    assert.deepEqual(goaways, [0]);
  });
});

Deno.test("SpdySession keeps to the peer's windows once it does flow control", async () => {
  const received: number[] = [];
  const done = Promise.withResolvers<number>();
  await using p = await pair(
    (stream) => {
      stream.reply();
      let total = 0;
      stream.onData((d) => {
        total += d.byteLength;
        received.push(d.byteLength);
      });
      stream.onEnd(() => done.resolve(total));
    },
    [],
    true,
  );
  const s = await p.client.openStream({ streamType: "stdin" });
  const size = 300_000;
  // The server announced its window (SETTINGS, before the SYN_REPLY): flow control is on, and
  // what the window does not allow waits for its WINDOW_UPDATEs.
  assert.equal(s.write(new Uint8Array(size).fill(7)), false, "queued beyond 64 KiB");
  s.end();
  assert.equal(await done.promise, size);
  assert.ok(received.every((n) => n <= 32 * 1024), "frames are cut at 32 KiB");
});

Deno.test("SpdySession neither waits for nor sends WINDOW_UPDATE when the peer does no flow control", async () => {
  // A raw peer like spdystream: it counts data and sends some, never a WINDOW_UPDATE.
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((s) => accepted.resolve(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const socket = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });
  const raw = await accepted.promise;
  const client = new SpdySession(socket, { role: "client", replyTimeoutMs: 2000 });
  try {
    const parser = new SpdyFrameParser();
    const received: string[] = [];
    let data = 0;
    const all = Promise.withResolvers<void>();
    const opened = Promise.withResolvers<void>();
    raw.on("data", (chunk: Uint8Array) => {
      for (const f of parser.push(chunk)) {
        received.push(f.type);
        if (f.type === "syn_stream") opened.resolve();
        if (f.type === "data") data += f.data.byteLength;
        if (data >= 200_000) all.resolve();
      }
    });
    const s = await client.openStream({ streamType: "stdin" }, { waitForReply: false });
    await opened.promise;
    // Past the 64 KiB window without waiting.
    s.write(new Uint8Array(200_000));
    await all.promise;
    assert.equal(data, 200_000);
    // Taking 200 KB from it sends no WINDOW_UPDATE (containerd cuts streams short on them).
    const reading = s.readAll();
    for (let i = 0; i < 10; i++) {
      raw.write(encodeDataFrame(1, { data: new Uint8Array(20_000), fin: i === 9 }));
    }
    assert.equal((await reading).byteLength, 200_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!received.includes("window_update"), received.join(","));
  } finally {
    client.destroy();
    raw.destroy();
    await client.closed;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test("SpdySession.openStream() gives up when no SYN_REPLY comes in time", async () => {
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((s) => accepted.resolve(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  const socket = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });
  const silent = await accepted.promise;
  const frames: string[] = [];
  const parser = new SpdyFrameParser();
  const synSeen = Promise.withResolvers<void>();
  silent.on("data", (c: Uint8Array) => {
    for (const f of parser.push(c)) {
      frames.push(f.type);
      if (f.type === "syn_stream") synSeen.resolve();
    }
  });
  const clock = new FakeClock();
  const client = new SpdySession(socket, { role: "client", replyTimeoutMs: 1000, clock });
  try {
    const opening = client.openStream({ streamType: "error" });
    await synSeen.promise;
    clock.advance(999);
    clock.advance(1);
    await assert.rejects(opening, /Stream 1 got no reply in time/);
    // The stream is reset, so the peer does not keep it.
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(frames, ["syn_stream", "rst_stream"]);
  } finally {
    client.destroy();
    silent.destroy();
    await client.closed;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
