/**
 * {@linkcode DnsListener}: a DNS server socket pair on one address, UDP (node:dgram) and TCP
 * (Deno) on the same port, handing each message to a {@linkcode DnsMessageHandler}.
 *
 * TCP follows RFC 7766: several queries per connection, answered as they complete (replies may
 * come out of order), an idle timeout, and a cap on open connections (more are closed at once)
 * so that a flood cannot exhaust a small device. Timers run only while connections are open.
 *
 * @module
 */
import dgram from "node:dgram";
import type { Buffer } from "node:buffer";
import type { Clock, TimerHandle } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";
import { frameTcpMessage, writeAll } from "./_tcp.ts";

/** What answers the messages. */
export interface DnsMessageHandler {
  handle(
    bytes: Uint8Array,
    transport: "udp" | "tcp",
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Options of {@linkcode DnsListener}. */
export interface DnsListenerOptions {
  readonly hostname: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  readonly port: number;
  readonly handler: DnsMessageHandler;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A TCP connection with no query for this long is closed. @default {10000} */
  readonly tcpIdleTimeoutMs?: number;
  /** Open TCP connections at most. @default {128} */
  readonly maxTcpConnections?: number;
}

function bindUdp(hostname: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: hostname.includes(":") ? "udp6" : "udp4" });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      try {
        socket.close();
      } catch { /* never bound */ }
      reject(err);
    };
    socket.once("error", onError);
    socket.bind(port, hostname, () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

/** UDP and TCP DNS on one address (see the module doc). */
export class DnsListener implements AsyncDisposable {
  readonly hostname: string;
  readonly #options: DnsListenerOptions;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  #udp: dgram.Socket | undefined;
  #tcp: Deno.TcpListener | undefined;
  #accepting: Promise<void> = Promise.resolve();
  #closed = false;

  /** A listener that serves once {@linkcode DnsListener.start} has bound its sockets. */
  constructor(options: DnsListenerOptions) {
    this.#options = options;
    this.hostname = options.hostname;
  }

  /** The port bound (UDP and TCP), or 0 before {@linkcode DnsListener.start}. */
  get port(): number {
    return this.#tcp?.addr.port ?? 0;
  }

  /** Binds UDP and TCP on `options.hostname` and `options.port`, and starts serving. */
  async start(): Promise<void> {
    if (this.#udp || this.#closed) throw new TypeError("Cannot start a DNS listener twice");
    const options = this.#options;
    // With port 0 the kernel picks the UDP port; TCP then takes the same (retried if taken).
    for (let attempt = 0;; attempt++) {
      const udp = await bindUdp(options.hostname, options.port);
      const port = udp.address().port;
      try {
        this.#tcp = Deno.listen({ hostname: options.hostname, port, transport: "tcp" });
        this.#udp = udp;
        break;
      } catch (err) {
        udp.close();
        if (options.port !== 0 || attempt >= 5 || !(err instanceof Deno.errors.AddrInUse)) {
          throw err;
        }
      }
    }
    const udp = this.#udp;
    udp.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => this.#onDatagram(msg, rinfo));
    udp.on("error", (err: Error) => options.logger.debug("DNS UDP socket error", { error: err }));
    this.#accepting = this.#accept(this.#tcp);
  }

  #onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const send = (reply: Uint8Array | undefined) => {
      if (reply && !this.#closed) this.#udp?.send(reply, rinfo.port, rinfo.address);
    };
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const result = this.#options.handler.handle(bytes, "udp");
    if (result instanceof Promise) result.then(send, () => {});
    else send(result);
  }

  async #accept(tcp: Deno.TcpListener): Promise<void> {
    const max = this.#options.maxTcpConnections ?? 128;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await tcp.accept();
      } catch (err) {
        if (this.#closed) return;
        this.#options.logger.debug("DNS TCP accept failed", { error: err });
        // Out of file descriptors, say: do not spin.
        await this.#options.clock.sleep(100);
        continue;
      }
      if (this.#conns.size >= max) {
        conn.close();
        continue;
      }
      this.#conns.add(conn);
      const task = this.#serveConn(conn).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
        try {
          conn.close();
        } catch { /* closed already */ }
      });
      this.#tasks.add(task);
    }
  }

  async #serveConn(conn: Deno.Conn): Promise<void> {
    const idleMs = this.#options.tcpIdleTimeoutMs ?? 10_000;
    let timer: TimerHandle | undefined;
    const closeIdle = () => {
      try {
        conn.close();
      } catch { /* closed already */ }
    };
    const arm = () => {
      timer?.cancel();
      timer = this.#options.clock.setTimeout(closeIdle, idleMs);
    };
    let writing: Promise<void> = Promise.resolve();
    const reply = (bytes: Uint8Array | undefined) => {
      if (!bytes) return;
      writing = writing.then(() => writeAll(conn, frameTcpMessage(bytes))).catch(() => {});
    };
    let buffer = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    arm();
    try {
      for (;;) {
        let n: number | null;
        try {
          n = await conn.read(chunk);
        } catch {
          return;
        }
        if (n === null) return;
        const next = new Uint8Array(buffer.byteLength + n);
        next.set(buffer);
        next.set(chunk.subarray(0, n), buffer.byteLength);
        buffer = next;
        while (buffer.byteLength >= 2) {
          const length = (buffer[0]! << 8) | buffer[1]!;
          if (buffer.byteLength < 2 + length) break;
          const message = buffer.slice(2, 2 + length);
          buffer = buffer.slice(2 + length);
          arm();
          const result = this.#options.handler.handle(message, "tcp");
          if (result instanceof Promise) result.then(reply, () => {});
          else reply(result);
        }
      }
    } finally {
      timer?.cancel();
      await writing;
    }
  }

  /** Stops serving: closes the sockets and every open connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tcp?.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
    const udp = this.#udp;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    await this.#accepting;
    await Promise.allSettled([...this.#tasks]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
