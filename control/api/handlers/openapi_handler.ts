/**
 * `/openapi/v2` (protobuf for clients asking for it, as kubectl 1.27/1.28 always do; JSON
 * otherwise) and `/openapi/v3` (an index of per-group-version documents addressed by content
 * hash), generated from the same schemas that validate objects. Documents are built on first
 * request and kept as encoded bytes until the set of resources changes; responses carry an
 * ETag, and a v3 document fetched by its current hash is cacheable for a year, as
 * kube-apiserver's handlers do.
 *
 * @module
 */
import { buildOpenApiV2 } from "../openapi/v2.ts";
import { encodeOpenApiV2Protobuf } from "../openapi/v2_protobuf.ts";
import { buildOpenApiV3, openApiDocumentHash } from "../openapi/v3.ts";
import type { OpenApiResource } from "../openapi/types.ts";
import { verbsOf } from "../registry/resource_def.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import type { ResourceRegistry } from "../registry/resource_registry.ts";

const V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
/** The two names of the v2 protobuf subtype: kubectl 1.27/1.28 still ask for the `@` one. */
const V2_PROTOBUF_SUBTYPES = new Set([
  "com.github.proto-openapi.spec.v2.v1.0+protobuf",
  "com.github.proto-openapi.spec.v2@v1.0+protobuf",
]);

/** What `/openapi/v2` answers in. */
export type OpenApiV2Format = "json" | "protobuf";

/**
 * Picks the `/openapi/v2` format from an `Accept` header as kube-openapi does: media ranges in
 * q order (then the client's order), `type/subtype` compared whole, `*` matching anything. The
 * deprecated `…spec.v2@v1.0+protobuf` name has an `@`, which is not a token character, so the
 * strict media-type parser would drop it: ranges are split here on `;` and `/` only. Null when
 * nothing offered is served (406).
 */
export function openApiV2Format(accept: string | null): OpenApiV2Format | null {
  const ranges: { type: string; subtype: string; q: number; i: number }[] = [];
  (accept === null || accept.trim() === "" ? "*/*" : accept).split(",").forEach((part, i) => {
    const [range = "", ...params] = part.split(";");
    const slash = range.indexOf("/");
    if (slash < 0) return;
    let q = 1;
    for (const p of params) {
      const [name = "", value = ""] = p.split("=").map((s) => s.trim());
      if (name.toLowerCase() === "q") q = Number(value);
    }
    if (!(q > 0)) return;
    ranges.push({
      type: range.slice(0, slash).trim().toLowerCase(),
      subtype: range.slice(slash + 1).trim().toLowerCase(),
      q,
      i,
    });
  });
  ranges.sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.type !== "application" && r.type !== "*") continue;
    if (r.subtype === "json" || r.subtype === "*") return "json";
    if (V2_PROTOBUF_SUBTYPES.has(r.subtype)) return "protobuf";
  }
  return null;
}
const encoder = new TextEncoder();

/** Converts served resources to the generators' input. */
export function openApiResources(defs: readonly ResourceDef[]): OpenApiResource[] {
  return defs.map((def) => ({
    group: def.group,
    version: def.version,
    kind: def.kind,
    resource: def.resource,
    namespaced: def.namespaced,
    verbs: verbsOf(def),
    schema: def.openApiSchema ?? def.schema,
    subresources: [
      ...(def.statusSubresource
        ? [{
          name: "status",
          gvk: { group: def.group, version: def.version, kind: def.kind },
          schema: def.openApiSchema ?? def.schema,
          verbs: ["get", "patch", "update"],
        }]
        : []),
      ...(def.scale
        ? [{
          name: "scale",
          gvk: { group: "autoscaling", version: "v1", kind: "Scale" },
          verbs: ["get", "patch", "update"],
        }]
        : []),
      ...(def.extraSubresources ?? []).map((s) => ({ name: s.name, gvk: s.gvk, verbs: s.verbs })),
    ],
  }));
}

interface Built {
  readonly registry: ResourceRegistry;
  readonly v3: Map<string, { body: Uint8Array<ArrayBuffer>; hash: string }>;
  readonly index: Uint8Array<ArrayBuffer>;
  v2Json?: Uint8Array<ArrayBuffer>;
  v2Proto?: Uint8Array<ArrayBuffer>;
  v2Etag?: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** Options of {@linkcode OpenApiHandler}. */
export interface OpenApiHandlerOptions {
  readonly registry: () => ResourceRegistry;
  readonly gitVersion: string;
}

/** Serves the OpenAPI documents. */
export class OpenApiHandler {
  readonly #o: OpenApiHandlerOptions;
  #built: Built | null = null;

  constructor(options: OpenApiHandlerOptions) {
    this.#o = options;
  }

  #build(): Built {
    const registry = this.#o.registry();
    if (this.#built?.registry === registry) return this.#built;
    const resources = openApiResources(registry.all());
    const docs = buildOpenApiV3(resources, { gitVersion: this.#o.gitVersion });
    const v3 = new Map<string, { body: Uint8Array<ArrayBuffer>; hash: string }>();
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [gv, doc] of docs) {
      const body = encoder.encode(JSON.stringify(doc));
      const hash = openApiDocumentHash(body);
      v3.set(gv, { body, hash });
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
    }
    this.#built = { registry, v3, index: encoder.encode(JSON.stringify({ paths })) };
    return this.#built;
  }

  /** `GET /openapi/v2`. */
  async v2(request: Request): Promise<Response> {
    const built = this.#build();
    const format = openApiV2Format(request.headers.get("accept"));
    if (format === null) {
      return new Response(null, { status: 406, headers: { vary: "Accept" } });
    }
    if (!built.v2Json) {
      const doc = buildOpenApiV2(openApiResources(built.registry.all()), {
        gitVersion: this.#o.gitVersion,
      });
      built.v2Json = encoder.encode(JSON.stringify(doc));
      built.v2Proto = new Uint8Array(encodeOpenApiV2Protobuf(doc));
      built.v2Etag = `"${await sha256Hex(built.v2Json)}"`;
    }
    const etag = built.v2Etag!;
    const headers = { etag, vary: "Accept", "cache-control": "no-cache, private" };
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers });
    }
    return format === "protobuf"
      ? new Response(built.v2Proto!, { headers: { ...headers, "content-type": V2_PROTOBUF } })
      : new Response(built.v2Json, { headers: { ...headers, "content-type": "application/json" } });
  }

  /** `GET /openapi/v3`. */
  v3Index(_request: Request): Response {
    const built = this.#build();
    return new Response(built.index, {
      headers: { "content-type": "application/json", "cache-control": "no-cache, private" },
    });
  }

  /** `GET /openapi/v3/<group-version>`. */
  v3(request: Request): Response {
    const built = this.#build();
    const url = new URL(request.url);
    const gv = decodeURIComponent(url.pathname.slice("/openapi/v3/".length));
    const doc = built.v3.get(gv);
    if (!doc) {
      return new Response("404 page not found\n", {
        status: 404,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    const hash = url.searchParams.get("hash");
    const etag = `"${doc.hash}"`;
    if (hash !== null && hash !== doc.hash) {
      return new Response(null, {
        status: 301,
        headers: {
          location: `/openapi/v3/${gv}?hash=${doc.hash}`,
          "cache-control": "no-cache, private",
        },
      });
    }
    const headers: Record<string, string> = {
      "content-type": "application/json",
      etag,
      vary: "Accept",
      "cache-control": hash === null ? "no-cache, private" : "public, immutable",
    };
    if (hash !== null) {
      headers.expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
    }
    if (request.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(doc.body, { headers });
  }
}
