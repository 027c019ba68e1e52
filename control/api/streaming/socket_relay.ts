/**
 * Relays bytes both ways between two sockets (the client's, taken over from its HTTP
 * connection, and the kubelet's), with backpressure: a side whose peer cannot keep up is
 * paused until the peer drains. A side ending ends the other's writing; a side closing closes
 * the other once what it had to send is out (or after a grace period).
 *
 * @module
 */

import { type Clock, systemClock } from "../../util/clock.ts";

/** The socket side a relay needs (a `node:net`/`node:tls` socket). */
export interface RelaySocket {
  write(data: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  pause(): unknown;
  resume(): unknown;
  on(event: "data", fn: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close" | "drain", fn: () => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  once(event: "drain" | "close", fn: () => void): unknown;
  readonly destroyed: boolean;
}

/** Options of {@linkcode relaySockets}. */
export interface RelayOptions {
  /** Bytes already read from the first socket, sent to the second first. */
  readonly fromA?: Uint8Array;
  /** Bytes already read from the second socket, sent to the first first. */
  readonly fromB?: Uint8Array;
  /** How long a side may take to flush after its peer closed. @default {5 s} */
  readonly closeGraceMs?: number;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

function forward(
  from: RelaySocket,
  to: RelaySocket,
  grace: { readonly ms: number; readonly clock: Clock },
): void {
  from.on("data", (chunk) => {
    // Deno's TLS socket fails an empty write with EPERM: never write one.
    if (to.destroyed || chunk.byteLength === 0) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
  from.on("end", () => {
    if (!to.destroyed) to.end();
  });
  from.on("close", () => {
    if (to.destroyed) return;
    to.end();
    const timer = grace.clock.setTimeout(() => to.destroy(), grace.ms);
    to.once("close", () => timer.cancel());
  });
  from.on("error", () => {
    // "close" follows.
  });
}

/** Relays `pair[0]` ↔ `pair[1]`; resolves once both are closed. */
export function relaySockets(
  pair: readonly [a: RelaySocket, b: RelaySocket],
  options: RelayOptions = {},
): Promise<void> {
  const [a, b] = pair;
  const grace = { ms: options.closeGraceMs ?? 5000, clock: options.clock ?? systemClock };
  const closed = (s: RelaySocket) =>
    new Promise<void>((resolve) => s.destroyed ? resolve() : s.once("close", resolve));
  const done = Promise.all([closed(a), closed(b)]).then(() => {});
  if (options.fromA && options.fromA.byteLength > 0) b.write(options.fromA);
  if (options.fromB && options.fromB.byteLength > 0) a.write(options.fromB);
  forward(a, b, grace);
  forward(b, a, grace);
  a.resume();
  b.resume();
  return done;
}
