import assert from "node:assert/strict";
import net from "node:net";
import { readResponseBody, sendUpgradeRequest } from "./http1_upgrade_client.ts";

/** A server answering every connection with `reply` once it has read a request head. */
async function server(reply: (head: string) => string | Uint8Array, keepOpen = false) {
  const heads: string[] = [];
  const srv = net.createServer((socket) => {
    let text = "";
    socket.on("data", (c: Uint8Array) => {
      text += new TextDecoder().decode(c);
      if (!text.includes("\r\n\r\n")) return;
      heads.push(text);
      if (keepOpen) socket.write(reply(text));
      else socket.end(reply(text));
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", () => resolve()));
  const port = (srv.address() as net.AddressInfo).port;
  const socket = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });
  return {
    socket,
    heads,
    close: async () => {
      socket.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

Deno.test("sendUpgradeRequest() writes the head in order and reads the 101 and what follows", async () => {
  const s = await server(
    () => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-A: 1\r\n\r\n\x00\x03",
    true,
  );
  try {
    const head = await sendUpgradeRequest(s.socket, {
      method: "POST",
      path: "/exec/abc?x=1",
      headers: [["Host", "h:1"], ["Upgrade", "SPDY/3.1"], ["Connection", "Upgrade"]],
    });
    assert.equal(
      s.heads[0],
      "POST /exec/abc?x=1 HTTP/1.1\r\nHost: h:1\r\nUpgrade: SPDY/3.1\r\n" +
        "Connection: Upgrade\r\n\r\n",
    );
    assert.equal(head.status, 101);
    assert.equal(head.statusText, "Switching Protocols");
    assert.equal(head.headers.get("upgrade"), "SPDY/3.1");
    assert.deepEqual([...head.buffered], [0x00, 0x03]);
  } finally {
    await s.close();
  }
});

Deno.test("readResponseBody() reads a refused upgrade's body by length or until close", async (t) => {
  for (
    const [name, reply, want] of [
      ["Content-Length", "HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nhello", "hello"],
      ["until close", "HTTP/1.1 500 Internal Server Error\r\n\r\nall of it", "all of it"],
    ] as const
  ) {
    await t.step(name, async () => {
      const s = await server(() => reply);
      try {
        const head = await sendUpgradeRequest(s.socket, { path: "/", headers: [["Host", "h"]] });
        const body = await readResponseBody(s.socket, { head });
        assert.equal(new TextDecoder().decode(body), want);
      } finally {
        await s.close();
      }
    });
  }
  await t.step("a closed connection before any response rejects", async () => {
    const s = await server(() => "");
    try {
      await assert.rejects(
        sendUpgradeRequest(s.socket, { path: "/", headers: [["Host", "h"]] }),
        /Connection closed before a response/,
      );
    } finally {
      await s.close();
    }
  });
});

/**
 * A socket delivering what it holds as node's flowing mode does: every queued chunk in one
 * synchronous burst of `data` events, stopping as soon as it is paused.
 */
class BurstSocket {
  // deno-lint-ignore no-explicit-any
  readonly #listeners = new Set<(chunk: any) => void>();
  readonly #queue: Uint8Array[] = [];
  #flowing = true;

  write(): boolean {
    return true;
  }
  end(): void {}
  destroy(): void {}
  // deno-lint-ignore no-explicit-any
  on(event: string, fn: (arg: any) => void): this {
    if (event === "data") this.#listeners.add(fn);
    return this;
  }
  // deno-lint-ignore no-explicit-any
  off(event: string, fn: (arg: any) => void): this {
    if (event === "data") this.#listeners.delete(fn);
    return this;
  }
  pause(): void {
    this.#flowing = false;
  }
  resume(): void {
    this.#flowing = true;
    this.#flow();
  }
  /** Queues `chunks` and delivers them in one burst. */
  deliver(...chunks: string[]): void {
    this.#queue.push(...chunks.map((c) => new TextEncoder().encode(c)));
    this.#flow();
  }
  #flow(): void {
    while (this.#flowing && this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      for (const fn of [...this.#listeners]) fn(chunk);
    }
  }
}

Deno.test("sendUpgradeRequest() loses no bytes of a burst that follows the head", async () => {
  const socket = new BurstSocket();
  const reading = sendUpgradeRequest(socket, { path: "/logs", headers: [["Host", "h"]] });
  // The answer arrives later, as from a real peer, in one burst of three chunks.
  setTimeout(
    () =>
      socket.deliver("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", "line 1\n", "line 2\n"),
    0,
  );
  const head = await reading;
  const after: string[] = [];
  socket.on("data", (c) => after.push(new TextDecoder().decode(c)));
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(head.status, 200);
  assert.deepEqual(
    [new TextDecoder().decode(head.buffered), ...after].join(""),
    "line 1\nline 2\n",
  );
});
