/**
 * Watches: `GET …?watch=true` streams newline-delimited `WatchEvent`s, one JSON object per
 * line, flushed per event (client-node splits on `\n`; Go clients stream-decode).
 *
 * resourceVersion rules (Kubernetes api-concepts): unset or `"0"` sends the current state as
 * synthetic ADDED events, then changes; `N` sends only changes after N. Selectors filter with
 * transitions (an object leaving the selection arrives as DELETED, one entering as ADDED).
 * History older than the watch cache's window comes from storage directly; history older than
 * compaction answers an ERROR event with a 410 `Expired` Status, as kube-apiserver does.
 * `allowWatchBookmarks` adds periodic BOOKMARK events; `sendInitialEvents=true` (WatchList)
 * ends the initial events with a bookmark annotated `k8s.io/initial-events-end`.
 * `timeoutSeconds` ends the stream; without it the server picks 30–60 minutes.
 *
 * @module
 */
import { CompactedError } from "../../storage/errors.ts";
import { ApiError, mapStorageError } from "../errors.ts";
import { buildTable, parseIncludeObject } from "../printers/table.ts";
import { printerFor } from "../printers/printers.ts";
import { groupVersion } from "../registry/resource_def.ts";
import { isWatchParam } from "../request_info.ts";
import { storedToJson } from "../store/object_codec.ts";
import { listPrefix } from "../store/storage_keys.ts";
import type { CachedEvent, ObjectAttrs, WatchType } from "../store/watch_cache.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { forbidden } from "../validation/field_errors.ts";
import type { ResourceRequest, ServerParts } from "./context.ts";
import { attrsOf, parseSelectors, selects } from "./rest_handler.ts";
import type { RestHandler } from "./rest_handler.ts";
import { API_HEADERS, streamedResponse } from "./render.ts";

/** How often a watch that allows bookmarks gets one. */
const BOOKMARK_INTERVAL_MS = 60_000;

/** One event to send: its type and the object's JSON text (or a function producing it). */
interface OutEvent {
  readonly type: WatchType | "BOOKMARK" | "ERROR";
  readonly json: string;
  readonly object?: () => KubeObject;
}

const encoder = new TextEncoder();

function statusJson(err: ApiError): string {
  return JSON.stringify(err.toStatus());
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
    const sendInitial = query.get("sendInitialEvents");
    const watchList = isWatchParam(sendInitial);
    if (sendInitial !== null && sendInitial !== "") {
      if (query.get("resourceVersionMatch") !== "NotOlderThan") {
        throw ApiError.invalid({ group: "meta.k8s.io", kind: "ListOptions" }, {
          name: "",
          errors: [
            forbidden(
              "resourceVersionMatch",
              "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ),
          ],
        });
      }
      if (watchList && !bookmarks) {
        throw ApiError.invalid({ group: "meta.k8s.io", kind: "ListOptions" }, {
          name: "",
          errors: [
            forbidden(
              "allowWatchBookmarks",
              "sendInitialEvents requires allowWatchBookmarks=true",
            ),
          ],
        });
      }
    }
    const timeoutText = query.get("timeoutSeconds");
    const timeoutSeconds = timeoutText !== null && /^\d+$/.test(timeoutText)
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
    const subscription = cache.subscribe(from, signal);
    const convert = def.conversion;

    const toOut = (e: CachedEvent, type: WatchType): OutEvent =>
      convert
        ? (() => {
          const obj = convert.fromStorage(e.object());
          return { type, json: JSON.stringify(obj), object: () => obj };
        })()
        : { type, json: e.json, object: () => e.object() };

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

    async function* fromCache(): AsyncGenerator<OutEvent> {
      for await (const e of subscription!) {
        const type = filter({ type: e.type, attrs: e.attrs, prev: () => e.prevAttrs() });
        if (type !== null) yield toOut(e, type);
      }
    }

    const rest = this.#rest;
    async function* fromStorage(): AsyncGenerator<OutEvent> {
      try {
        for await (
          const ev of storage.watch(listPrefix(rest.layout(def), namespace), from, signal)
        ) {
          const type: WatchType = ev.type === "created"
            ? "ADDED"
            : ev.type === "updated"
            ? "MODIFIED"
            : "DELETED";
          const obj = rest.fromStored(def, ev.kv);
          const prev = ev.prevKv;
          const t = filter({
            type,
            attrs: attrs(obj),
            prev: () => prev ? attrs(rest.fromStored(def, prev)) : undefined,
          });
          if (t === null) continue;
          yield {
            type: t,
            json: convert ? JSON.stringify(obj) : storedToJson(ev.kv.value, ev.kv.modRevision),
            object: () => obj,
          };
        }
      } catch (err) {
        if (err instanceof CompactedError) {
          yield {
            type: "ERROR",
            json: statusJson(
              ApiError.expired(`too old resource version: ${from} (${err.compactedRevision})`),
            ),
          };
          return;
        }
        throw err;
      }
    }

    const events = subscription ? fromCache() : fromStorage();
    const format = req.output?.format === "table" ? req.output : null;
    const includeObject = format ? parseIncludeObject(query.get("includeObject")) : "Metadata";
    const printer = format ? printerFor(def.group, def.kind) : null;
    const apiVersion = groupVersion(def);
    let headersSent = false;
    const nowMs = () => this.#parts.clock.now();
    const line = (e: OutEvent): Uint8Array => {
      let objectJson = e.json;
      if (
        printer && format && (e.type === "ADDED" || e.type === "MODIFIED" || e.type === "DELETED")
      ) {
        const obj = e.object ? e.object() : (JSON.parse(e.json) as KubeObject);
        objectJson = JSON.stringify(buildTable(printer, {
          objects: [obj as Record<string, unknown>],
          nowMs: nowMs(),
          includeObject,
          resourceVersion: obj.metadata?.resourceVersion ?? "",
          noHeaders: headersSent,
          tableVersion: format.version,
          objectType: { apiVersion, kind: def.kind },
        }));
        headersSent = true;
      }
      return encoder.encode(`{"type":"${e.type}","object":${objectJson}}\n`);
    };
    const bookmark = (annotations?: Record<string, string>): OutEvent => ({
      type: "BOOKMARK",
      json: JSON.stringify({
        kind: def.kind,
        apiVersion,
        metadata: {
          resourceVersion: String(Math.max(cache.revision, from)),
          ...(annotations ? { annotations } : {}),
        },
      }),
    });
    const clock = this.#parts.clock;
    const logger = this.#parts.logger;

    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const timer = clock.setTimeout(() => stop.abort(), timeoutSeconds * 1000);
        let bookmarkTimer: { cancel(): void } | undefined;
        const onAbort = () => {
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          for (const e of initialEvents) controller.enqueue(line(e));
          if (watchList) {
            controller.enqueue(line(bookmark({ "k8s.io/initial-events-end": "true" })));
          }
          if (bookmarks) {
            const tick = () => {
              try {
                controller.enqueue(line(bookmark()));
                bookmarkTimer = clock.setTimeout(tick, BOOKMARK_INTERVAL_MS);
              } catch {
                // closed
              }
            };
            bookmarkTimer = clock.setTimeout(tick, BOOKMARK_INTERVAL_MS);
          }
          for await (const e of events) {
            if (signal.aborted) break;
            controller.enqueue(line(e));
          }
        } catch (err) {
          if (!signal.aborted) logger.warn("Watch ended with an error", { error: err });
        } finally {
          timer.cancel();
          bookmarkTimer?.cancel();
          signal.removeEventListener("abort", onAbort);
          stop.abort();
          try {
            controller.close();
          } catch {
            // already closed
          }
        }
      },
      cancel() {
        stop.abort();
      },
    });
    return streamedResponse(body, {
      status: 200,
      headers: { ...API_HEADERS, "content-type": "application/json" },
    });
  }
}
