/**
 * How the forwarder reaches upstream DNS servers: the {@linkcode UpstreamTransport} interface
 * (one exchange over UDP or TCP) and {@linkcode SocketUpstreamTransport}, the real one. Each
 * UDP exchange uses a fresh socket on a random port, closed after it (with the random query ID,
 * that is what makes spoofed answers hard to slip in), and takes only a datagram from the
 * server's address that `accept` approves.
 *
 * @module
 */
import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { canonicalIp } from "./_ip.ts";
import { MAX_MESSAGE_BYTES } from "./dns_message.ts";
import { frameTcpMessage, readExactly, writeAll } from "./_tcp.ts";

/** An upstream DNS server. */
export interface UpstreamServer {
  readonly hostname: string;
  /** @default {53} */
  readonly port?: number;
}

/** Options of one exchange. */
export interface ExchangeOptions {
  /** Aborting ends the exchange: it rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Whether a reply is the one waited for (ID and question match); others are ignored. */
  readonly accept: (reply: Uint8Array) => boolean;
}

/** One query, one reply. */
export interface UpstreamTransport {
  /** Sends `query` in one datagram and resolves with the first accepted reply. */
  exchangeUdp(
    server: UpstreamServer,
    query: Uint8Array,
    options: ExchangeOptions,
  ): Promise<Uint8Array>;
  /** Sends `query` over a new TCP connection (RFC 1035 §4.2.2 framing) and reads the reply. */
  exchangeTcp(
    server: UpstreamServer,
    query: Uint8Array,
    options: ExchangeOptions,
  ): Promise<Uint8Array>;
}

function sameAddress(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const ca = canonicalIp(strip(a));
  const cb = canonicalIp(strip(b));
  return ca !== undefined && cb !== undefined ? ca.text === cb.text : strip(a) === strip(b);
}

/** The real transport: node:dgram UDP sockets and Deno TCP connections. */
export class SocketUpstreamTransport implements UpstreamTransport {
  exchangeUdp(
    server: UpstreamServer,
    query: Uint8Array,
    options: ExchangeOptions,
  ): Promise<Uint8Array> {
    const { signal, accept } = options;
    if (signal.aborted) return Promise.reject(signal.reason);
    const port = server.port ?? 53;
    const socket = dgram.createSocket(server.hostname.includes(":") ? "udp6" : "udp4");
    return new Promise<Uint8Array>((resolve, reject) => {
      let done = false;
      const finish = (err: unknown, reply?: Uint8Array) => {
        if (done) return;
        done = true;
        signal.removeEventListener("abort", onAbort);
        try {
          socket.close();
        } catch { /* already closed */ }
        if (reply) resolve(reply);
        else reject(err);
      };
      const onAbort = () => finish(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      socket.on("error", (err) => finish(err));
      socket.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => {
        if (rinfo.port !== port || !sameAddress(rinfo.address, server.hostname)) return;
        const reply = new Uint8Array(msg);
        if (accept(reply)) finish(undefined, reply);
      });
      socket.send(query, port, server.hostname, (err) => {
        if (err) finish(err);
      });
    });
  }

  async exchangeTcp(
    server: UpstreamServer,
    query: Uint8Array,
    options: ExchangeOptions,
  ): Promise<Uint8Array> {
    const { signal, accept } = options;
    signal.throwIfAborted();
    const conn = await Deno.connect({
      hostname: server.hostname.replace(/^\[|\]$/g, ""),
      port: server.port ?? 53,
      transport: "tcp",
    });
    const onAbort = () => {
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await writeAll(conn, frameTcpMessage(query));
      for (;;) {
        const head = await readExactly(conn, 2);
        if (!head) throw new Error("Upstream closed the connection before replying");
        const length = (head[0]! << 8) | head[1]!;
        if (length > MAX_MESSAGE_BYTES) throw new Error(`Upstream sent a ${length}-byte frame`);
        const reply = await readExactly(conn, length);
        if (!reply) throw new Error("Upstream closed the connection mid-reply");
        if (accept(reply)) return reply;
      }
    } catch (err) {
      signal.throwIfAborted();
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
      onAbort();
    }
  }
}
