/**
 * An informer's change handlers: each call is guarded, so a handler that throws is logged and
 * the others are still called.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";

/** The registered handlers of one informer. */
export class HandlerSet<H> {
  readonly #handlers = new Set<H>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers `handler`; `remove()` stops calls to it. */
  add(handler: H): { remove(): void } {
    this.#handlers.add(handler);
    return { remove: () => void this.#handlers.delete(handler) };
  }

  /** Calls every handler. */
  dispatch(call: (handler: H) => void): void {
    for (const handler of this.#handlers) this.call(handler, call);
  }

  /** Calls one handler, logging what it throws. */
  call(handler: H, call: (handler: H) => void): void {
    try {
      call(handler);
    } catch (err) {
      this.#logger.error("Informer event handler failed", { error: err });
    }
  }
}
