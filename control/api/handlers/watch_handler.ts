/**
 * Watches: `GET …?watch=true` streams newline-delimited `WatchEvent`s, one JSON object per
 * line, flushed per event (client-node splits on `\n`; Go clients stream-decode).
 *
 * resourceVersion rules (Kubernetes api-concepts): unset or `"0"` sends the current state as
 * synthetic ADDED events, then changes; `N` sends only changes after N. Selectors filter with
 * transitions (an object leaving the selection arrives as DELETED, with its content before the
 * change and the change's resourceVersion, as kube-apiserver's cacher sends; one entering as
 * ADDED).
 * History older than the watch cache's window is caught up from storage, after which the watch
 * follows the cache; history older than compaction answers an ERROR event with a 410 `Expired`
 * Status, as kube-apiserver does.
 * `allowWatchBookmarks` adds BOOKMARK events, as kube-apiserver's: about every minute and once 2 s
 * before the timeout, each carrying the watch's own progress (every event up to its
 * resourceVersion was sent to this client, so resuming from it skips nothing — a watch still
 * being caught up from storage has not reached the cache's revision), and none while that
 * progress is not past the revision the watch began at. `sendInitialEvents=true` (WatchList, with
 * `resourceVersionMatch=NotOlderThan`) sends the state as ADDED events and, when bookmarks are
 * allowed, ends them with a bookmark at the state's revision annotated `k8s.io/initial-events-end`;
 * `sendInitialEvents=false` starts from the given or the latest resourceVersion without them.
 * `timeoutSeconds` ends the stream; without it the server picks 30–60 minutes.
 *
 * The `Accept` header shapes each event's object as it does a get's answer: `as=Table` sends
 * Tables (column headers on the first only), `as=PartialObjectMetadata` (`meta.k8s.io` v1 or
 * v1beta1) the objects' metadata alone, bookmarks included — what metadata-only informers (the
 * garbage collector's) ask for. `as=PartialObjectMetadataList` names no shape for one object: as
 * kube-apiserver, whose conversion of each event then fails, the objects go out whole. ERROR
 * events always carry a plain Status.
 *
 * @module
 */
import { ApiError, mapStorageError } from "../errors.ts";
import { buildTable, parseIncludeObject } from "../printers/table.ts";
import { printerFor } from "../printers/printers.ts";
import { groupVersion } from "../registry/resource_def.ts";
import { isWatchParam } from "../request_info.ts";
import { listPrefix } from "../store/storage_keys.ts";
import type { CachedEvent, CacheListening, ObjectAttrs, WatchType } from "../store/watch_cache.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { type FieldError, forbidden, notSupported } from "../validation/field_errors.ts";
import type { ResourceRequest, ServerParts } from "./context.ts";
import { attrsOf, parseSelectors, selects } from "./rest_handler.ts";
import type { RestHandler } from "./rest_handler.ts";
import { API_HEADERS, asPartialObjectMetadata, pushResponse, type PushSource } from "./render.ts";

/** A watcher with this much unsent data is ended (kube-apiserver also ends slow watchers). */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** How often a watch that allows bookmarks gets one. */
const BOOKMARK_INTERVAL_MS = 60_000;
/** The last bookmark of a watch comes this long before its timeout, as kube-apiserver sends it. */
const BOOKMARK_BEFORE_TIMEOUT_MS = 2_000;

/** One event to send: its type and the object's JSON text (or a function producing it). */
interface OutEvent {
  readonly type: WatchType | "BOOKMARK" | "ERROR";
  readonly json: string;
  readonly object?: () => KubeObject;
  /** The shared cache event this comes from unchanged, so its wire line can be shared too. */
  readonly cached?: CachedEvent;
}

const encoder = new TextEncoder();

/**
 * The JSON wire line of a cache event, encoded once however many watchers send it: with a
 * thousand watchers, building and UTF-8-encoding the line per watcher dominated delivery.
 */
const sharedLines = new WeakMap<CachedEvent, Partial<Record<WatchType, Uint8Array>>>();

function sharedLine(e: CachedEvent, type: WatchType): Uint8Array {
  let lines = sharedLines.get(e);
  if (!lines) {
    lines = {};
    sharedLines.set(e, lines);
  }
  return lines[type] ??= encoder.encode(`{"type":"${type}","object":${e.json}}\n`);
}

type MetaVersion = "v1" | "v1beta1";

/** The metadata-only wire lines of cache events, per `meta.k8s.io` version, shared likewise. */
const sharedPartialLines: Record<
  MetaVersion,
  WeakMap<CachedEvent, Partial<Record<WatchType, Uint8Array>>>
> = { v1: new WeakMap(), v1beta1: new WeakMap() };

function partialLine(type: string, obj: KubeObject, version: MetaVersion): Uint8Array {
  return encoder.encode(
    `{"type":"${type}","object":${JSON.stringify(asPartialObjectMetadata(obj, version))}}\n`,
  );
}

function sharedPartialLine(e: CachedEvent, type: WatchType, version: MetaVersion): Uint8Array {
  const cache = sharedPartialLines[version];
  let lines = cache.get(e);
  if (!lines) {
    lines = {};
    cache.set(e, lines);
  }
  return lines[type] ??= partialLine(type, e.object(), version);
}

/** An event's line with its object as is (JSON of the served version). */
function plainLine(e: OutEvent): Uint8Array {
  if (e.cached && e.type !== "BOOKMARK" && e.type !== "ERROR") return sharedLine(e.cached, e.type);
  return encoder.encode(`{"type":"${e.type}","object":${e.json}}\n`);
}

function statusJson(err: ApiError): string {
  return JSON.stringify(err.toStatus());
}

/** The query parameters {@linkcode watchOptionErrors} checks. */
interface WatchOptionsQuery {
  /** `sendInitialEvents` as sent, or null when absent (or empty). */
  readonly sendInitialEvents: string | null;
  readonly resourceVersionMatch: string;
  readonly continue: string;
}

/**
 * The errors of a watch's list options, as upstream's `validateWatchOptions` (WatchList on):
 * `sendInitialEvents` needs `resourceVersionMatch=NotOlderThan`, and `resourceVersionMatch`
 * is for WatchList alone.
 */
function watchOptionErrors(o: WatchOptionsQuery): FieldError[] {
  const errors: FieldError[] = [];
  const match = o.resourceVersionMatch;
  if (o.sendInitialEvents !== null && match !== "NotOlderThan") {
    errors.push(forbidden(
      "resourceVersionMatch",
      "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
    ));
  }
  if (match !== "") {
    if (o.sendInitialEvents === null) {
      errors.push(forbidden(
        "resourceVersionMatch",
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
      ));
    }
    if (match !== "NotOlderThan") {
      errors.push(
        notSupported("resourceVersionMatch", { value: match, supported: ["NotOlderThan"] }),
      );
    }
    if (o.continue !== "") {
      errors.push(forbidden(
        "resourceVersionMatch",
        "resourceVersionMatch is forbidden when continue is provided",
      ));
    }
  }
  return errors;
}

/** Options of {@linkcode WatchHandler}. */
export interface WatchHandlerOptions {
  readonly parts: ServerParts;
  readonly rest: RestHandler;
  /** Picks a timeout when the client gives none (tests pin it). */
  readonly defaultTimeoutSeconds?: () => number;
}

/** Serves watches. */
export class WatchHandler {
  readonly #parts: ServerParts;
  readonly #rest: RestHandler;
  readonly #defaultTimeout: () => number;

  constructor(options: WatchHandlerOptions) {
    this.#parts = options.parts;
    this.#rest = options.rest;
    this.#defaultTimeout = options.defaultTimeoutSeconds ??
      (() => 1800 + Math.floor(Math.random() * 1800));
  }

  /** Whether `req` is a watch (`?watch=true` or the legacy `/watch/` path). */
  static isWatch(req: ResourceRequest): boolean {
    return req.info.verb === "watch" || isWatchParam(req.query.get("watch"));
  }

  /** Answers a watch request with a streamed response. */
  async watch(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    const selectors = parseSelectors(def, query);
    const rvText = query.get("resourceVersion") ?? "";
    if (rvText !== "" && !/^\d+$/.test(rvText)) {
      throw ApiError.badRequest(
        `resourceVersion: Invalid value: ${JSON.stringify(rvText)}: must be an integer`,
      );
    }
    const bookmarks = isWatchParam(query.get("allowWatchBookmarks"));
    // An empty sendInitialEvents is no value, as an unset one.
    const sendInitial = query.get("sendInitialEvents") || null;
    const watchList = isWatchParam(sendInitial);
    const optionErrors = watchOptionErrors({
      sendInitialEvents: sendInitial,
      resourceVersionMatch: query.get("resourceVersionMatch") ?? "",
      continue: query.get("continue") ?? "",
    });
    if (optionErrors.length > 0) {
      throw ApiError.invalid({ group: "meta.k8s.io", kind: "ListOptions" }, {
        name: "",
        errors: optionErrors,
      });
    }
    const timeoutText = query.get("timeoutSeconds");
    // 0 or unset: the server picks, as kube-apiserver does.
    const timeoutSeconds =
      timeoutText !== null && /^\d+$/.test(timeoutText) && Number(timeoutText) > 0
        ? Number(timeoutText)
        : this.#defaultTimeout();
    const initial = watchList || (sendInitial === null && (rvText === "" || rvText === "0"));
    const storage = this.#parts.storage;
    const ctx = { group: def.group, resource: def.resource, name: "" };
    const attrs = attrsOf(def);
    const namespace = def.namespaced ? req.info.namespace : "";
    const prefix = this.#rest.layout(def).prefix;

    // The initial state, read before subscribing so that the watch resumes from its revision.
    let from = rvText === "" ? 0 : Number(rvText);
    const initialEvents: OutEvent[] = [];
    if (initial) {
      try {
        const page = await storage.list(listPrefix(this.#rest.layout(def), namespace));
        from = page.revision;
        for (const kv of page.items) {
          const obj = this.#rest.fromStored(def, kv);
          if (!selects(selectors, attrs(obj))) continue;
          initialEvents.push({
            type: "ADDED",
            json: this.#rest.storedJson(def, kv),
            object: () => obj,
          });
        }
      } catch (err) {
        throw mapStorageError(err, ctx);
      }
    } else if (from === 0) {
      from = await storage.currentRevision();
    }

    const cache = await this.#parts.caches.get(prefix, attrs);
    const stop = new AbortController();
    const signal = AbortSignal.any([req.signal, stop.signal, this.#parts.signal]);
    const convert = def.conversion;

    const toOut = (e: CachedEvent, type: WatchType): OutEvent =>
      convert
        ? (() => {
          const obj = convert.fromStorage(e.object());
          return { type, json: JSON.stringify(obj), object: () => obj };
        })()
        : { type, json: e.json, object: () => e.object(), cached: e };

    /** Filters one event through namespace and selectors, with transitions. */
    const filter = (e: {
      type: WatchType;
      attrs: ObjectAttrs;
      prev: () => ObjectAttrs | undefined;
    }): WatchType | null => {
      if (namespace && e.attrs.namespace !== namespace) return null;
      const now = selects(selectors, e.attrs);
      if (e.type !== "MODIFIED") return now ? e.type : null;
      if (selectors.labels.empty && selectors.fields.empty) return "MODIFIED";
      const p = e.prev();
      const before = p ? selects(selectors, p) : now;
      if (now && before) return "MODIFIED";
      if (now) return "ADDED";
      if (before) return "DELETED";
      return null;
    };

    /** An object leaving the selection: DELETED with its content before the change. */
    const leaving = (json: string): OutEvent => {
      if (!convert) return { type: "DELETED", json, object: () => JSON.parse(json) as KubeObject };
      const obj = convert.fromStorage(JSON.parse(json) as KubeObject);
      return { type: "DELETED", json: JSON.stringify(obj), object: () => obj };
    };

    /** What a cache event becomes for this watcher, or null when it is filtered out. */
    const fromCacheEvent = (e: CachedEvent): OutEvent | null => {
      const type = filter({ type: e.type, attrs: e.attrs, prev: () => e.prevAttrs() });
      if (type === null) return null;
      const before = type === "DELETED" && e.type === "MODIFIED" ? e.prevJson() : undefined;
      return before !== undefined ? leaving(before) : toOut(e, type);
    };

    const output = req.output;
    const apiVersion = groupVersion(def);
    const nowMs = () => this.#parts.clock.now();
    /** The wire line of an event, picked once per watch: the plain one does no extra work. */
    let line: (e: OutEvent) => Uint8Array;
    if (output?.format === "table") {
      const includeObject = parseIncludeObject(query.get("includeObject"));
      const printer = def.printer ?? printerFor(def.group, def.kind);
      let headersSent = false;
      line = (e) => {
        if (e.type === "BOOKMARK" || e.type === "ERROR") return plainLine(e);
        const obj = e.object ? e.object() : (JSON.parse(e.json) as KubeObject);
        const table = JSON.stringify(buildTable(printer, {
          objects: [obj as Record<string, unknown>],
          nowMs: nowMs(),
          includeObject,
          resourceVersion: obj.metadata?.resourceVersion ?? "",
          noHeaders: headersSent,
          tableVersion: output.version,
          objectType: { apiVersion, kind: def.kind },
        }));
        headersSent = true;
        return encoder.encode(`{"type":"${e.type}","object":${table}}\n`);
      };
    } else if (output?.format === "partial" && !output.list) {
      const version = output.version;
      line = (e) => {
        if (e.type === "ERROR") return plainLine(e);
        if (e.cached && e.type !== "BOOKMARK") return sharedPartialLine(e.cached, e.type, version);
        return partialLine(
          e.type,
          e.object ? e.object() : (JSON.parse(e.json) as KubeObject),
          version,
        );
      };
    } else {
      line = plainLine;
    }
    /**
     * A bookmark at `revision`: this watch's own progress (every event up to it was sent to this
     * client), never the cache's, which a watch still catching up lags.
     */
    const bookmark = (revision: number, annotations?: Record<string, string>): OutEvent => ({
      type: "BOOKMARK",
      json: JSON.stringify({
        kind: def.kind,
        apiVersion,
        metadata: {
          resourceVersion: String(revision),
          ...(annotations ? { annotations } : {}),
        },
      }),
    });
    const clock = this.#parts.clock;
    const logger = this.#parts.logger;

    const source: PushSource = (sink) => {
      let closed = false;
      let listening: CacheListening | null = null;
      let bookmarkTimer: { cancel(): void } | undefined;
      const deadlineMs = clock.now() + timeoutSeconds * 1000;
      const timer = clock.setTimeout(() => finish(), timeoutSeconds * 1000);
      const finish = () => {
        if (closed) return;
        closed = true;
        timer.cancel();
        bookmarkTimer?.cancel();
        listening?.stop();
        signal.removeEventListener("abort", finish);
        stop.abort();
        sink.close();
      };
      const send = (e: OutEvent) => {
        if (closed) return;
        sink.write(line(e));
        // A client that cannot keep up is ended; it re-watches from its last resourceVersion.
        if (sink.backlog() > MAX_BACKLOG_BYTES) finish();
      };
      signal.addEventListener("abort", finish, { once: true });
      if (signal.aborted) {
        finish();
        return finish;
      }
      try {
        for (const e of initialEvents) send(e);
        // As kube-apiserver's cacher: the end of the initial events is a bookmark, sent only to
        // watchers that allow bookmarks. It carries the initial state's revision: the changes
        // after it (even those the cache already has) come after the bookmark.
        if (watchList && bookmarks) send(bookmark(from, { "k8s.io/initial-events-end": "true" }));
        if (bookmarks) {
          // As kube-apiserver: roughly every minute and once right before the timeout, each
          // carrying this watch's progress, and only once that is past where the watch began.
          const schedule = () => {
            const nowMs = clock.now();
            const dueMs = Math.min(
              nowMs + BOOKMARK_INTERVAL_MS,
              deadlineMs - BOOKMARK_BEFORE_TIMEOUT_MS,
            );
            if (dueMs < nowMs) return;
            bookmarkTimer = clock.setTimeout(tick, dueMs - nowMs);
          };
          const tick = () => {
            if (closed) return;
            const revision = listening?.revision ?? from;
            if (revision > from) send(bookmark(revision));
            if (clock.now() < deadlineMs - BOOKMARK_BEFORE_TIMEOUT_MS) schedule();
          };
          schedule();
        }
        listening = cache.listen(from, {
          listener: {
            event(e) {
              const out = fromCacheEvent(e);
              if (out) send(out);
            },
            end: () => finish(),
            expired(err) {
              // As kube-apiserver: the history the watch needs is gone, an ERROR event says so.
              send({
                type: "ERROR",
                json: statusJson(
                  ApiError.expired(`too old resource version: ${from} (${err.compactedRevision})`),
                ),
              });
              finish();
            },
          },
          signal,
        });
      } catch (err) {
        logger.warn("Watch ended with an error", { error: err });
        finish();
        return finish;
      }
      return finish;
    };
    return pushResponse(source, {
      status: 200,
      headers: { ...API_HEADERS, "content-type": "application/json" },
    });
  }
}
