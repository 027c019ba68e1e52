/**
 * Admission: checks and mutations that need more than the object itself — the namespace it
 * goes into, other objects, allocators — run on every write after defaulting and before
 * storage, as kube-apiserver's admission chain (mutating plugins first, then validating).
 * Plugins throw an `ApiError` to refuse a request.
 *
 * @example A plugin that refuses every delete
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdmissionChain } from "./admission.ts";
 *
 * const chain = new AdmissionChain([{
 *   name: "NoDelete",
 *   validate(a) {
 *     if (a.operation === "DELETE") throw new Error("no");
 *     return Promise.resolve();
 *   },
 * }]);
 * assert.equal(chain.names.length, 1);
 * ```
 *
 * @module
 */
import type { ResourceDef } from "../registry/resource_def.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { KubeObject } from "../types/meta_v1.ts";

/** The kind of write being admitted. */
export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/** What a plugin sees of a request. */
export interface AdmissionAttributes {
  readonly operation: AdmissionOperation;
  readonly def: ResourceDef;
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  /** The new object (CREATE, UPDATE); mutating plugins may change it. */
  readonly object: KubeObject | undefined;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject: KubeObject | undefined;
  readonly dryRun: boolean;
  readonly username: string;
  readonly groups: readonly string[];
  /** The rest of the requesting user (uid and extra), when known. */
  readonly user?: RequestUser;
  /**
   * Warnings for the client (`Warning: 299` headers, as Pod Security's `warn` mode sends):
   * plugins push to it; absent where the caller shows none.
   */
  readonly warnings?: string[];
}

/** One admission plugin. */
export interface AdmissionPlugin {
  readonly name: string;
  /** Mutating phase: may change `attrs.object`. */
  admit?(attrs: AdmissionAttributes): Promise<void>;
  /** Validating phase: may only refuse. */
  validate?(attrs: AdmissionAttributes): Promise<void>;
  /**
   * Called after the write was stored (or failed), so allocators can release what a failed
   * write reserved. `ok` is false when the write did not happen.
   */
  committed?(attrs: AdmissionAttributes, ok: boolean): void;
}

/** The plugins in order. */
export class AdmissionChain {
  readonly #plugins: readonly AdmissionPlugin[];

  constructor(plugins: readonly AdmissionPlugin[]) {
    this.#plugins = plugins;
  }

  /** The plugin names, in order. */
  get names(): string[] {
    return this.#plugins.map((p) => p.name);
  }

  /** Runs every mutating phase (before the object is validated). */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.#plugins) if (p.admit) await p.admit(attrs);
  }

  /** Runs every validating phase (after the object is validated). */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.#plugins) if (p.validate) await p.validate(attrs);
  }

  /** Runs every mutating phase, then every validating phase. */
  async run(attrs: AdmissionAttributes): Promise<void> {
    await this.admit(attrs);
    await this.validate(attrs);
  }

  /** Tells every plugin how the write ended. */
  committed(attrs: AdmissionAttributes, ok: boolean): void {
    for (const p of this.#plugins) p.committed?.(attrs, ok);
  }
}
