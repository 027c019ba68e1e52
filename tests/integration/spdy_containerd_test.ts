/**
 * skiff's SPDY/3.1 and WebSocket clients (control/util) against a real peer: containerd's CRI
 * streaming server (as root, in a temp dir of its own). An exec URL from CRI Exec is upgraded
 * to SPDY with `v4.channel.k8s.io`; stdout, stderr and the v4 status on the error stream
 * (exit code 3) come back; stdin half-closes (`cat` ends); and the same over WebSocket v4.
 *
 * @module
 */
import assert from "node:assert/strict";
import net from "node:net";
import { SpdySession } from "../../control/util/spdy/session.ts";
import { spdyClientUpgrade } from "../../control/util/spdy/upgrade.ts";
import { websocketClientHandshake } from "../../control/util/websocket/handshake.ts";
import { WebSocketConnection } from "../../control/util/websocket/websocket_connection.ts";
import { startStreamingNode } from "../_support/streaming_node.ts";

const decoder = new TextDecoder();

function connect(url: URL): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Upgrades a CRI streaming URL to SPDY with v4 and returns the client session. */
async function spdySession(streamingUrl: string): Promise<SpdySession> {
  const url = new URL(streamingUrl);
  const socket = await connect(url);
  const answer = await spdyClientUpgrade(socket, {
    path: url.pathname,
    host: url.host,
    protocols: ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"],
  });
  assert.equal(answer.status, 101, decoder.decode(answer.buffered));
  assert.equal(answer.protocol, "v4.channel.k8s.io");
  return new SpdySession(socket, { role: "client", buffered: answer.buffered });
}

Deno.test("SpdySession talks v4 exec with containerd's streaming server", async (t) => {
  await using node = await startStreamingNode();
  const { cri, containerId } = node;
  try {
    await t.step("stdout, stderr and the exit code on the error stream", async () => {
      const { url } = await cri.exec({
        containerId,
        cmd: ["sh", "-c", "echo out; echo err >&2; exit 3"],
        stdout: true,
        stderr: true,
      });
      const session = await spdySession(url);
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
      const parsed = JSON.parse(decoder.decode(status));
      assert.equal(parsed.status, "Failure");
      assert.equal(parsed.reason, "NonZeroExitCode");
      assert.deepEqual(parsed.details.causes, [{ reason: "ExitCode", message: "3" }]);
      assert.equal(
        parsed.message,
        "command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3",
      );
      session.close();
      await session.closed;
    });

    await t.step("stdin half-closed ends cat; success on the error stream", async () => {
      const { url } = await cri.exec({ containerId, cmd: ["cat"], stdin: true, stdout: true });
      const session = await spdySession(url);
      const error = await session.openStream({ streamType: "error" });
      const stdin = await session.openStream({ streamType: "stdin" });
      const stdout = await session.openStream({ streamType: "stdout" });
      const reading = stdout.readAll();
      const big = "x".repeat(200_000);
      stdin.write(new TextEncoder().encode(`hello\n${big}\n`));
      stdin.end();
      assert.equal(decoder.decode(await reading), `hello\n${big}\n`);
      assert.deepEqual(JSON.parse(decoder.decode(await error.readAll())), {
        metadata: {},
        status: "Success",
      });
      session.close();
    });

    await t.step("WebSocketConnection speaks v4.channel.k8s.io to the same server", async () => {
      const { url } = await cri.exec({
        containerId,
        cmd: ["sh", "-c", "echo ws out; exit 2"],
        stdout: true,
      });
      const target = new URL(url);
      const socket = await connect(target);
      const { protocol, buffered } = await websocketClientHandshake(socket, {
        path: target.pathname,
        host: target.host,
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
      const closed = await ws.closed;
      assert.equal(closed.code, 1000);
      assert.equal(channels[1], "ws out\n");
      const status = JSON.parse(channels[3] ?? "{}");
      assert.deepEqual(status.details?.causes, [{ reason: "ExitCode", message: "2" }]);
    });
  } catch (err) {
    throw new Error(`Streaming against containerd failed; its log ends:\n${await node.logTail()}`, {
      cause: err,
    });
  }
});
