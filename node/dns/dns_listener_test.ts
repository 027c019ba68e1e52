import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import { decodeReply, queryBytes } from "./_test_objects.ts";
import { DnsListener, type DnsMessageHandler } from "./dns_listener.ts";
import { frameTcpMessage } from "./_tcp.ts";
import { SocketUpstreamTransport } from "./upstream_transport.ts";

/** Answers every query with its own bytes marked as a response; "slow" names after a delay. */
const mirror: DnsMessageHandler = {
  handle(bytes) {
    const out = bytes.slice();
    out[2]! |= 0x80;
    if (new TextDecoder().decode(bytes).includes("slow")) {
      return new Promise((resolve) => setTimeout(() => resolve(out), 30));
    }
    return out;
  },
};

async function readFrames(conn: Deno.Conn, count: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  let buffer = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (frames.length < count) {
    const n = await conn.read(chunk);
    if (n === null) break;
    const next = new Uint8Array(buffer.length + n);
    next.set(buffer);
    next.set(chunk.subarray(0, n), buffer.length);
    buffer = next;
    while (buffer.length >= 2 && buffer.length >= 2 + ((buffer[0]! << 8) | buffer[1]!)) {
      const len = (buffer[0]! << 8) | buffer[1]!;
      frames.push(buffer.slice(2, 2 + len));
      buffer = buffer.slice(2 + len);
    }
  }
  return frames;
}

Deno.test("DnsListener answers over UDP and TCP on the same port", async () => {
  await using listener = new DnsListener({
    hostname: "127.0.0.1",
    port: 0,
    handler: mirror,
    clock: systemClock,
    logger: new RecordingLogger(),
  });
  await listener.start();
  assert.ok(listener.port > 0);
  const client = new SocketUpstreamTransport();
  const server = { hostname: "127.0.0.1", port: listener.port };
  const q = queryBytes({ name: "a.example", type: "A" }, { id: 11 });
  const signal = AbortSignal.timeout(5000);
  const udp = await client.exchangeUdp(server, q, { signal, accept: () => true });
  assert.equal(decodeReply(udp).id, 11);
  const tcp = await client.exchangeTcp(server, q, { signal, accept: () => true });
  assert.equal(decodeReply(tcp).id, 11);
});

Deno.test("DnsListener takes pipelined TCP queries and answers each as it completes", async () => {
  await using listener = new DnsListener({
    hostname: "127.0.0.1",
    port: 0,
    handler: mirror,
    clock: systemClock,
    logger: new RecordingLogger(),
  });
  await listener.start();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
  try {
    const slow = frameTcpMessage(queryBytes({ name: "slow.example", type: "A" }, { id: 1 }));
    const fast = frameTcpMessage(queryBytes({ name: "fast.example", type: "A" }, { id: 2 }));
    const both = new Uint8Array(slow.length + fast.length);
    both.set(slow);
    both.set(fast, slow.length);
    // Both in one write, the second split mid-frame.
    await conn.write(both.subarray(0, slow.length + 3));
    await conn.write(both.subarray(slow.length + 3));
    const frames = await readFrames(conn, 2);
    assert.deepEqual(frames.map((f) => decodeReply(f).id), [2, 1]);
  } finally {
    conn.close();
  }
});

Deno.test("DnsListener closes idle TCP connections and refuses more than its cap", async () => {
  const clock = new FakeClock(0);
  await using listener = new DnsListener({
    hostname: "127.0.0.1",
    port: 0,
    handler: mirror,
    clock,
    logger: new RecordingLogger(),
    tcpIdleTimeoutMs: 1000,
    maxTcpConnections: 1,
  });
  await listener.start();
  const first = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
  await first.write(frameTcpMessage(queryBytes({ name: "a.example", type: "A" })));
  assert.equal((await readFrames(first, 1)).length, 1);
  const second = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
  // Over the cap: closed at once.
  assert.equal(await second.read(new Uint8Array(10)), null);
  second.close();
  clock.advance(1000);
  assert.equal(await first.read(new Uint8Array(10)), null);
  first.close();
});

Deno.test("DnsListener.start() fails on an address the host does not have", async () => {
  const listener = new DnsListener({
    hostname: "192.0.2.123",
    port: 0,
    handler: mirror,
    clock: systemClock,
    logger: new RecordingLogger(),
  });
  await assert.rejects(listener.start());
  await listener.close();
});
