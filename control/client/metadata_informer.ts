/**
 * A metadata-only informer: a reflector over {@linkcode MetadataResourceClient} that keeps, per
 * object, only its uid and resourceVersion — no object cache at all — and hands each change's
 * metadata to handlers, which keep what they need (the garbage collector keeps a few fields per
 * object in its graph). Memory is a map entry per object, whatever the objects' size.
 *
 * As {@linkcode Informer}: the reflector lists (in pages of 500), then watches from the list's
 * resourceVersion with bookmarks; a watch that ends is started again from the last
 * resourceVersion seen; a 410 Gone lists again at once; other failures back off (0.8 s → 30 s,
 * jittered, on the injected clock). A relist tells the handlers only what changed, objects
 * being told apart by uid (a name deleted and created again is a delete and an add). Nothing
 * runs on a timer while the watch is healthy.
 *
 * @example Count the objects of every namespace
 * ```ts ignore
 * const pods = new MetadataInformer(metadata.resource(PODS), { clock, logger });
 * pods.addHandler({ add: (meta) => count(meta.namespace, +1), delete: (d) => forget(d.uid) });
 * const done = pods.run(signal);
 * await pods.waitForSync(signal);
 * ```
 *
 * @module
 */
import type { ObjectMeta } from "../api/types/meta_v1.ts";
import { HandlerSet } from "./_handler_set.ts";
import { type ListSink, Reflector, type ReflectorEvent } from "./_reflector.ts";
import type { ReflectorOptions } from "./informer.ts";
import type { MetadataResourceClient, PartialObjectMetadata } from "./metadata_client.ts";

/** What a delete handler is told. */
export interface DeletedMetadata {
  readonly uid: string;
  /**
   * The object vanished while the informer was not watching (found missing on a relist): no
   * final metadata is known.
   */
  readonly finalStateUnknown: boolean;
  /** The object's last metadata, from the watch's DELETED event (unset on a relist). */
  readonly metadata?: ObjectMeta;
}

/** Callbacks for changes; the metadata handed over is not kept by the informer. */
export interface MetadataInformerHandler {
  /** `initialList`: the object comes from the informer's first list. */
  add?(metadata: ObjectMeta, initialList: boolean): void;
  /** The object changed (a new resourceVersion). */
  update?(metadata: ObjectMeta): void;
  delete?(deleted: DeletedMetadata): void;
}

/** Options of {@linkcode MetadataInformer}. */
export type MetadataInformerOptions = ReflectorOptions;

/**
 * A resourceVersion as stored: a small integer when it is one (no string kept), else the text.
 */
function compactVersion(rv: string | undefined): number | string {
  if (rv === undefined || rv === "") return "";
  const n = Number(rv);
  return Number.isSafeInteger(n) && String(n) === rv ? n : rv;
}

/** Lists and watches one resource's metadata, remembering only uids and resourceVersions. */
export class MetadataInformer {
  readonly #client: MetadataResourceClient;
  readonly #handlers: HandlerSet<MetadataInformerHandler>;
  readonly #reflector: Reflector<PartialObjectMetadata>;
  /** uid → resourceVersion of every object the server has (as last seen). */
  #known = new Map<string, number | string>();

  constructor(client: MetadataResourceClient, options: MetadataInformerOptions) {
    this.#client = client;
    const r = client.resource;
    const logger = options.logger.with({
      resource: r.group === "" ? r.resource : `${r.resource}.${r.group}`,
      metadataOnly: true,
    });
    this.#handlers = new HandlerSet(logger);
    this.#reflector = new Reflector<PartialObjectMetadata>({
      source: client,
      store: { startList: () => this.#startList(), event: (e) => this.#onEvent(e) },
    }, { ...options, logger, lifecycleLogLevel: "debug" });
  }

  /** The client this informer lists and watches through. */
  get client(): MetadataResourceClient {
    return this.#client;
  }

  /** How many objects the server has, as far as the informer knows. */
  get size(): number {
    return this.#known.size;
  }

  /** Whether an object of this uid exists, as far as the informer knows. */
  has(uid: string): boolean {
    return this.#known.has(uid);
  }

  /** True once the first list went to the handlers. */
  hasSynced(): boolean {
    return this.#reflector.hasSynced();
  }

  /** The resourceVersion the informer is current at (`""` before the first list). */
  lastSyncResourceVersion(): string {
    return this.#reflector.lastSyncResourceVersion();
  }

  /** Resolves `true` once synced, `false` if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.#reflector.waitForSync(signal);
  }

  /** Calls `handler` for every change from now on (there is no cache to replay). */
  addHandler(handler: MetadataInformerHandler): { remove(): void } {
    return this.#handlers.add(handler);
  }

  /** Lists and watches until `signal` aborts; resolves once stopped. Runs at most once. */
  run(signal: AbortSignal): Promise<void> {
    return this.#reflector.run(signal);
  }

  /**
   * A relist keeps, of each page, only the uids and resourceVersions, and the metadata of what
   * changed; objects are told apart by uid.
   */
  #startList(): ListSink<PartialObjectMetadata> {
    const seen = new Map<string, number | string>();
    const added: ObjectMeta[] = [];
    const updated: ObjectMeta[] = [];
    return {
      add: (items) => {
        for (const { metadata } of items) {
          const uid = metadata.uid;
          if (!uid) continue;
          const rv = compactVersion(metadata.resourceVersion);
          seen.set(uid, rv);
          const known = this.#known.get(uid);
          if (known === undefined) added.push(metadata);
          else if (known !== rv) updated.push(metadata);
        }
      },
      commit: (initial) => {
        const gone = [...this.#known.keys()].filter((uid) => !seen.has(uid));
        this.#known = seen;
        const handlers = this.#handlers;
        for (const meta of added) handlers.dispatch((h) => h.add?.(meta, initial));
        for (const meta of updated) handlers.dispatch((h) => h.update?.(meta));
        for (const uid of gone) {
          handlers.dispatch((h) => h.delete?.({ uid, finalStateUnknown: true }));
        }
      },
    };
  }

  #onEvent(event: ReflectorEvent<PartialObjectMetadata>): void {
    const meta = event.object.metadata;
    const uid = meta.uid;
    if (event.type === "BOOKMARK" || !uid) return;
    if (event.type === "DELETED") {
      this.#known.delete(uid);
      this.#handlers.dispatch((h) => h.delete?.({ uid, finalStateUnknown: false, metadata: meta }));
      return;
    }
    const rv = compactVersion(meta.resourceVersion);
    const known = this.#known.get(uid);
    this.#known.set(uid, rv);
    if (known === undefined) this.#handlers.dispatch((h) => h.add?.(meta, false));
    else if (known !== rv) this.#handlers.dispatch((h) => h.update?.(meta));
  }
}
