/**
 * Backpressure between two sockets whose bytes are reframed on the way (WebSocket ⇄ SPDY):
 * after writing to `to`, {@linkcode Throttle.check} pauses `from` while `to` holds more than
 * a high-water mark unsent, and resumes it once `to` drains, so a slow reader holds back its
 * writer instead of the API server buffering the whole stream.
 *
 * @module
 */

/** The socket side backpressure needs. */
export interface FlowSocket {
  pause(): unknown;
  resume(): unknown;
  once(event: "drain" | "close", fn: () => void): unknown;
  readonly writableLength: number;
}

/** Bytes a socket may hold unsent before its source is paused. */
export const HIGH_WATER_BYTES = 1024 * 1024;

/** Pauses `from` while `to` is full. */
export class Throttle {
  readonly #from: FlowSocket;
  readonly #to: FlowSocket;
  #waiting = false;

  constructor(from: FlowSocket, to: FlowSocket) {
    this.#from = from;
    this.#to = to;
  }

  /** Call after writing to `to`. */
  check(): void {
    if (this.#waiting || this.#to.writableLength <= HIGH_WATER_BYTES) return;
    this.#waiting = true;
    this.#from.pause();
    const go = () => {
      if (!this.#waiting) return;
      this.#waiting = false;
      this.#from.resume();
    };
    this.#to.once("drain", go);
    this.#to.once("close", go);
  }
}
