/**
 * One shared {@linkcode ObjectView} per storage prefix, so the authorizers, authenticators and
 * admission plugins that follow the same resource (Pods, Secrets, ServiceAccounts) hold its
 * objects once; each adds the indexes it needs.
 *
 * @example Two users of the Pods view share it
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage } from "../../storage/memory.ts";
 * import { BufferWriter, JsonLogger } from "../../util/mod.ts";
 * import { ObjectViews } from "./object_views.ts";
 *
 * const ac = new AbortController();
 * const views = new ObjectViews({
 *   storage: new MemoryStorage(),
 *   logger: new JsonLogger({ writer: new BufferWriter() }),
 *   signal: ac.signal,
 * });
 * assert.equal(views.get("/registry/pods/"), views.get("/registry/pods/"));
 * ac.abort();
 * ```
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import type { Logger } from "../../util/logger.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { ObjectView, type OfferedWrite } from "./object_view.ts";

/** Options of {@linkcode ObjectViews}. */
export interface ObjectViewsOptions {
  readonly storage: Storage;
  readonly logger: Logger;
  /** Stops every view. */
  readonly signal: AbortSignal;
  /** What the view of a prefix keeps of each object (`viewProjection`). @default {all} */
  readonly project?: (prefix: string) => ((obj: KubeObject) => KubeObject) | undefined;
}

/** The server's object views, by storage prefix. */
export class ObjectViews {
  readonly #o: ObjectViewsOptions;
  readonly #views = new Map<string, ObjectView>();

  constructor(options: ObjectViewsOptions) {
    this.#o = options;
  }

  /** The view of `prefix` (`/registry/pods/`), created on first use; call `start` before reading. */
  get(prefix: string): ObjectView {
    let view = this.#views.get(prefix);
    if (!view) {
      const project = this.#o.project?.(prefix);
      view = new ObjectView({
        storage: this.#o.storage,
        prefix,
        logger: this.#o.logger.with({ component: "object-view", prefix }),
        ...(project ? { project } : {}),
      });
      this.#views.set(prefix, view);
    }
    return view;
  }

  /**
   * Offers a written object to the view of `prefix`, if there is one (see
   * {@linkcode ObjectView.offer}); creates no view.
   */
  offer(prefix: string, written: OfferedWrite): void {
    this.#views.get(prefix)?.offer(written);
  }

  /** The started view of `prefix`: resolves once its first list is in. */
  async started(prefix: string): Promise<ObjectView> {
    const view = this.get(prefix);
    await view.start(this.#o.signal);
    return view;
  }
}
