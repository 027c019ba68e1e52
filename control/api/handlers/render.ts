/**
 * Renders objects and lists in the format the client negotiated: JSON (the default), YAML,
 * a `meta.k8s.io` Table (server-side printing, as kubectl asks for), or
 * PartialObjectMetadata. Lists of plain JSON are assembled from the stored JSON text without
 * re-serializing each item.
 *
 * @module
 */
import { stringify as toYaml } from "yaml";
import { ApiError, omitEmptyDetails } from "../errors.ts";
import type { OutputFormat } from "../media_type.ts";
import { buildTable, parseIncludeObject } from "../printers/table.ts";
import { printerFor } from "../printers/printers.ts";
import { groupVersion, type ResourceDef } from "../registry/resource_def.ts";
import type { KubeObject, ListMeta, StatusDetails } from "../types/meta_v1.ts";
import type { Http1WholeBody } from "../../util/http1_connection.ts";

/** Headers every API response carries, as kube-apiserver's. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-cache, private",
};

const STREAMED = new WeakSet<Response>();

/**
 * A response whose body is produced over time (watches, followed logs). The HTTPS listener sends
 * its status and headers at once instead of with the first chunk, as kube-apiserver flushes a
 * watch's headers before any event: a watch from an exact resourceVersion may have nothing to
 * send for minutes, and clients wait for the headers (kubectl 1.27–1.29 `wait --timeout` cannot
 * even give up before they arrive).
 */
export function streamedResponse(body: ReadableStream<Uint8Array>, init: ResponseInit): Response {
  const res = new Response(body, init);
  STREAMED.add(res);
  return res;
}

/** Where a push response writes: the HTTPS connection itself, or an in-process stream. */
export interface PushSink {
  /** Sends bytes; never blocks. */
  write(chunk: Uint8Array): void;
  /** Ends the response. */
  close(): void;
  /** Bytes written but not yet sent (a slow client's backlog). */
  backlog(): number;
}

/** Starts producing into `sink`; returns a function that stops it (the client went away). */
export type PushSource = (sink: PushSink) => () => void;

const PUSH_SOURCES = new WeakMap<Response, PushSource>();

/**
 * A streamed response whose producer writes straight to the connection: the HTTPS listener
 * hands it the socket's writer, so a watch event reaches a thousand clients without a web
 * stream and its promises per client. Read in-process (`app.request`), it is an ordinary
 * body stream.
 */
export function pushResponse(source: PushSource, init: ResponseInit): Response {
  let stop: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stop) return;
      let open = true;
      stop = source({
        write(chunk) {
          if (!open) return;
          try {
            controller.enqueue(chunk);
          } catch {
            open = false;
          }
        },
        close() {
          if (!open) return;
          open = false;
          try {
            controller.close();
          } catch {
            // cancelled
          }
        },
        backlog: () => Math.max(0, -(controller.desiredSize ?? 0)),
      });
    },
    cancel() {
      stop?.();
    },
  }, { highWaterMark: 0 });
  const res = streamedResponse(body, init);
  PUSH_SOURCES.set(res, source);
  return res;
}

/** The producer of a {@linkcode pushResponse}, for a listener that writes directly. */
export function pushSourceOf(res: Response): PushSource | undefined {
  return PUSH_SOURCES.get(res);
}

/** Whether `res` came from {@linkcode streamedResponse}. */
export function isStreamedResponse(res: Response): boolean {
  return STREAMED.has(res);
}

const WHOLE = new WeakMap<Response, Http1WholeBody>();
const HEADER_LINES = new WeakMap<Readonly<Record<string, string>>, string>();

/** The header lines of a headers record, as the connection writes a `Headers` (once each). */
function headerLinesOf(headers: Readonly<Record<string, string>>): string {
  let lines = HEADER_LINES.get(headers);
  if (lines === undefined) {
    lines = "";
    new Headers(headers).forEach((value, name) => lines += `${name}: ${value}\r\n`);
    HEADER_LINES.set(headers, lines);
  }
  return lines;
}

/**
 * A response of `body` (text, or UTF-8 bytes no one changes after) with `headers`, a record
 * shared by many responses (built once, never changed): the HTTPS listener writes its body and
 * header lines as they are, without reading the `Response` back (the hot path of GET and
 * create answers, and lists).
 */
export function wholeResponse(
  body: string | Uint8Array<ArrayBuffer>,
  init: { readonly status: number; readonly headers: Readonly<Record<string, string>> },
): Response {
  const res = new Response(body, init);
  WHOLE.set(res, { headerLines: headerLinesOf(init.headers), body });
  return res;
}

/** The body and header lines of a {@linkcode wholeResponse}, for a listener that writes them. */
export function wholeBodyOf(res: Response): Http1WholeBody | undefined {
  return WHOLE.get(res);
}

/** One list item: its JSON text, and the object when it was decoded anyway. */
export interface ListItem {
  readonly json: string;
  readonly obj?: KubeObject;
}

/** Options of {@linkcode renderObject} and {@linkcode renderList}. */
export interface RenderOptions {
  readonly def: ResourceDef;
  readonly output: OutputFormat | null;
  readonly query: URLSearchParams;
  readonly nowMs: number;
  readonly status?: number;
  readonly warnings?: readonly string[];
}

/** The headers of a plain JSON answer (shared: the hot path builds none). */
const JSON_HEADERS: Readonly<Record<string, string>> = {
  ...API_HEADERS,
  "content-type": "application/json",
};

function headersFor(contentType: string, warnings: readonly string[] | undefined): Headers {
  const h = new Headers({ ...API_HEADERS, "content-type": contentType });
  for (const w of warnings ?? []) h.append("warning", `299 - ${JSON.stringify(w)}`);
  return h;
}

/**
 * `obj` as a `meta.k8s.io` `PartialObjectMetadata` of `version` (`v1`, `v1beta1`): its
 * metadata alone, as kube-apiserver answers `Accept: …;as=PartialObjectMetadata`.
 */
export function asPartialObjectMetadata(obj: KubeObject, version: string): KubeObject {
  return {
    kind: "PartialObjectMetadata",
    apiVersion: `meta.k8s.io/${version}`,
    metadata: obj.metadata ?? {},
  };
}

function includeObject(query: URLSearchParams) {
  try {
    return parseIncludeObject(query.get("includeObject"));
  } catch (err) {
    throw ApiError.badRequest((err as Error).message);
  }
}

/** Options of {@linkcode renderJsonText}. */
export interface RenderJsonTextOptions {
  /** @default {200} */
  readonly status?: number;
  readonly warnings?: readonly string[];
}

/** A response carrying one object already serialized as JSON. */
export function renderJsonText(json: string, options: RenderJsonTextOptions = {}): Response {
  const status = options.status ?? 200;
  if (!options.warnings?.length) return wholeResponse(json, { status, headers: JSON_HEADERS });
  return new Response(json, { status, headers: headersFor("application/json", options.warnings) });
}

/** {@linkcode renderJsonText} of an object's JSON as UTF-8 bytes (the stored ones, spliced). */
export function renderJsonBytes(
  json: Uint8Array<ArrayBuffer>,
  options: RenderJsonTextOptions = {},
): Response {
  const status = options.status ?? 200;
  if (!options.warnings?.length) return wholeResponse(json, { status, headers: JSON_HEADERS });
  return new Response(json, { status, headers: headersFor("application/json", options.warnings) });
}

/** A response carrying one object. */
export function renderObject(obj: KubeObject, options: RenderOptions): Response {
  const { output, def } = options;
  const status = options.status ?? 200;
  if (output === null) throw ApiError.notAcceptable(["application/json", "application/yaml"]);
  switch (output.format) {
    case "yaml":
      return new Response(toYaml(obj), {
        status,
        headers: headersFor("application/yaml", options.warnings),
      });
    case "table": {
      // Only objects of the resource print as its Table; a Status or another kind stays JSON.
      if (obj.kind !== def.kind) break;
      const table = buildTable(def.printer ?? printerFor(def.group, def.kind), {
        objects: [obj as Record<string, unknown>],
        nowMs: options.nowMs,
        includeObject: includeObject(options.query),
        resourceVersion: obj.metadata?.resourceVersion ?? "",
        tableVersion: output.version,
        objectType: { apiVersion: groupVersion(def), kind: def.kind },
      });
      return new Response(JSON.stringify(table), {
        status,
        headers: headersFor("application/json", options.warnings),
      });
    }
    case "partial":
      if (obj.kind !== def.kind) break;
      return new Response(JSON.stringify(asPartialObjectMetadata(obj, output.version)), {
        status,
        headers: headersFor("application/json", options.warnings),
      });
  }
  return new Response(JSON.stringify(obj), {
    status,
    headers: headersFor("application/json", options.warnings),
  });
}

/** Options of {@linkcode renderList}. */
export interface RenderListOptions extends RenderOptions {
  /** The list's metadata (resourceVersion, continue). */
  readonly meta: ListMeta;
}

/** A response carrying a list of `def`'s objects. */
export function renderList(items: readonly ListItem[], options: RenderListOptions): Response {
  const { meta } = options;
  const { output, def } = options;
  if (output === null) throw ApiError.notAcceptable(["application/json", "application/yaml"]);
  const apiVersion = groupVersion(def);
  const listKind = `${def.kind}List`;
  const objects = () => items.map((i) => i.obj ?? (JSON.parse(i.json) as KubeObject));
  switch (output.format) {
    case "json": {
      const body = `{"kind":${JSON.stringify(listKind)},"apiVersion":${
        JSON.stringify(apiVersion)
      },"metadata":${JSON.stringify(meta)},"items":[${items.map((i) => i.json).join(",")}]}`;
      if (!options.warnings?.length) {
        return wholeResponse(body, { status: 200, headers: JSON_HEADERS });
      }
      return new Response(body, {
        status: 200,
        headers: headersFor("application/json", options.warnings),
      });
    }
    case "yaml":
      return new Response(
        toYaml({ kind: listKind, apiVersion, metadata: meta, items: objects() }),
        { status: 200, headers: headersFor("application/yaml", options.warnings) },
      );
    case "table": {
      const table = buildTable(def.printer ?? printerFor(def.group, def.kind), {
        objects: objects() as Record<string, unknown>[],
        nowMs: options.nowMs,
        includeObject: includeObject(options.query),
        resourceVersion: meta.resourceVersion ?? "",
        ...(meta.continue ? { continue: meta.continue } : {}),
        ...(meta.remainingItemCount !== undefined
          ? { remainingItemCount: meta.remainingItemCount }
          : {}),
        tableVersion: output.version,
        objectType: { apiVersion, kind: def.kind },
      });
      return new Response(JSON.stringify(table), {
        status: 200,
        headers: headersFor("application/json", options.warnings),
      });
    }
    case "partial": {
      const list = {
        kind: "PartialObjectMetadataList",
        apiVersion: `meta.k8s.io/${output.version}`,
        metadata: meta,
        items: objects().map((o) => asPartialObjectMetadata(o, output.version)),
      };
      return new Response(JSON.stringify(list), {
        status: 200,
        headers: headersFor("application/json", options.warnings),
      });
    }
  }
}

/** A `Status` response for a successful operation without an object (some deletes). */
export function renderSuccess(
  details: StatusDetails,
  options: { readonly status?: number; readonly warnings?: readonly string[] },
): Response {
  return new Response(
    JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: omitEmptyDetails(details),
    }),
    { status: options.status ?? 200, headers: headersFor("application/json", options.warnings) },
  );
}
