/**
 * Discovery: the legacy documents (`/api` APIVersions, `/apis` APIGroupList, `/apis/<g>`
 * APIGroup, `/api/v1` and `/apis/<g>/<v>` APIResourceList), always served, and aggregated
 * discovery (`apidiscovery.k8s.io` v2 and v2beta1 APIGroupDiscoveryList on `/api` and `/apis`),
 * served only to clients that list exactly that media type — with an ETag, `Vary: Accept` and
 * 304 on `If-None-Match`, as kube-apiserver. Documents are built once per registry.
 *
 * @module
 */
import { ApiError } from "../errors.ts";
import { type DiscoveryFormat, negotiateDiscovery, parseAccept } from "../media_type.ts";
import { groupVersion, type ResourceDef, verbsOf } from "../registry/resource_def.ts";
import type { ResourceRegistry } from "../registry/resource_registry.ts";

const SUB_VERBS = ["get", "patch", "update"];

interface SubresourceInfo {
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

function subresourcesOf(def: ResourceDef): SubresourceInfo[] {
  const out: SubresourceInfo[] = [];
  if (def.statusSubresource) {
    out.push({
      name: "status",
      group: def.group,
      version: def.version,
      kind: def.kind,
      verbs: SUB_VERBS,
    });
  }
  if (def.scale) {
    out.push({
      name: "scale",
      group: "autoscaling",
      version: "v1",
      kind: "Scale",
      verbs: SUB_VERBS,
    });
  }
  for (const s of def.extraSubresources ?? []) {
    out.push({
      name: s.name,
      group: s.gvk.group,
      version: s.gvk.version,
      kind: s.gvk.kind,
      verbs: s.verbs,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The legacy `APIResourceList` of one group-version. */
export function apiResourceList(registry: ResourceRegistry, gv: string): object | null {
  const defs = registry.forGroupVersion(gv);
  if (defs.length === 0) return null;
  const resources: object[] = [];
  for (const def of defs) {
    resources.push({
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: verbsOf(def),
      ...(def.shortNames?.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories?.length ? { categories: def.categories } : {}),
    });
    for (const s of subresourcesOf(def)) {
      resources.push({
        name: `${def.resource}/${s.name}`,
        singularName: "",
        namespaced: def.namespaced,
        ...(s.group !== def.group || s.version !== def.version
          ? { group: s.group, version: s.version }
          : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: gv, resources };
}

function versionEntry(group: string, version: string) {
  return { groupVersion: group ? `${group}/${version}` : version, version };
}

/** The legacy `APIGroup` of `name`. */
export function apiGroup(registry: ResourceRegistry, name: string): object | null {
  const g = registry.groups().find((x) => x.name === name && name !== "");
  if (!g) return null;
  return {
    kind: "APIGroup",
    apiVersion: "v1",
    name: g.name,
    versions: g.versions.map((v) => versionEntry(g.name, v)),
    preferredVersion: versionEntry(g.name, g.versions[0]!),
  };
}

/** The legacy `APIGroupList` (every group but the core one). */
export function apiGroupList(registry: ResourceRegistry): object {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: registry.groups().filter((g) => g.name !== "").map((g) => ({
      name: g.name,
      versions: g.versions.map((v) => versionEntry(g.name, v)),
      preferredVersion: versionEntry(g.name, g.versions[0]!),
    })),
  };
}

/** The legacy `APIVersions` of `/api`. */
export function apiVersions(serverAddress: string): object {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function discoveryResource(def: ResourceDef): object {
  const subs = subresourcesOf(def);
  return {
    resource: def.resource,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? "Namespaced" : "Cluster",
    singularResource: def.singular,
    verbs: verbsOf(def),
    ...(def.shortNames?.length ? { shortNames: def.shortNames } : {}),
    ...(def.categories?.length ? { categories: def.categories } : {}),
    ...(subs.length
      ? {
        subresources: subs.map((s) => ({
          subresource: s.name,
          responseKind: { group: s.group, version: s.version, kind: s.kind },
          verbs: s.verbs,
        })),
      }
      : {}),
  };
}

/** The aggregated `APIGroupDiscoveryList` of the core group (`core`) or the others. */
export function aggregatedDiscovery(
  registry: ResourceRegistry,
  options: { readonly core: boolean; readonly version: "v2" | "v2beta1" },
): object {
  const groups = registry.groups().filter((g) => (g.name === "") === options.core);
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `apidiscovery.k8s.io/${options.version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name },
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry.forGroupVersion(groupVersion({ group: g.name, version: v })).map(
          discoveryResource,
        ),
        freshness: "Current",
      })),
    })),
  };
}

async function etagOf(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `"${hex.toUpperCase()}"`;
}

/** Answers the discovery endpoints; documents are cached per registry instance. */
export class DiscoveryHandler {
  readonly #registry: () => ResourceRegistry;
  readonly #serverAddress: () => string;
  #cachedFor: ResourceRegistry | null = null;
  #cache = new Map<string, { body: string; etag: string }>();

  constructor(options: { registry: () => ResourceRegistry; serverAddress: () => string }) {
    this.#registry = options.registry;
    this.#serverAddress = options.serverAddress;
  }

  async #doc(
    key: string,
    build: () => object | null,
  ): Promise<{ body: string; etag: string } | null> {
    const registry = this.#registry();
    if (this.#cachedFor !== registry) {
      this.#cache.clear();
      this.#cachedFor = registry;
    }
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const doc = build();
    if (doc === null) return null;
    const body = JSON.stringify(doc);
    const entry = { body, etag: await etagOf(body) };
    this.#cache.set(key, entry);
    return entry;
  }

  /** Answers `path` (`/api`, `/apis`, `/api/v1`, `/apis/<g>`, `/apis/<g>/<v>`), or null. */
  async handle(path: string, headers: Headers): Promise<Response | null> {
    const parts = path.split("/").filter((p) => p !== "");
    const registry = () => this.#registry();
    let format: DiscoveryFormat | null = "legacy";
    let entry: { body: string; etag: string } | null = null;
    let contentType = "application/json";
    if ((parts[0] === "api" || parts[0] === "apis") && parts.length === 1) {
      format = negotiateDiscovery(parseAccept(headers.get("accept")));
      if (format === null) {
        throw ApiError.notAcceptable([
          "application/json",
          "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
          "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
        ]);
      }
      const core = parts[0] === "api";
      if (format === "legacy") {
        entry = await this.#doc(
          `${parts[0]}`,
          () => core ? apiVersions(this.#serverAddress()) : apiGroupList(registry()),
        );
      } else {
        const version = format;
        entry = await this.#doc(
          `${parts[0]}/${version}`,
          () => aggregatedDiscovery(registry(), { core, version }),
        );
        contentType =
          `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
      }
    } else if (parts[0] === "api" && parts.length === 2) {
      entry = await this.#doc(`api/${parts[1]}`, () => apiResourceList(registry(), parts[1]!));
    } else if (parts[0] === "apis" && parts.length === 2) {
      entry = await this.#doc(`apis/${parts[1]}`, () => apiGroup(registry(), parts[1]!));
    } else if (parts[0] === "apis" && parts.length === 3) {
      entry = await this.#doc(
        `apis/${parts[1]}/${parts[2]}`,
        () => apiResourceList(registry(), `${parts[1]}/${parts[2]}`),
      );
    } else {
      return null;
    }
    if (entry === null) return null;
    const common = {
      "etag": entry.etag,
      "vary": "Accept",
      "cache-control": format === "legacy" ? "no-cache, private" : "public",
    };
    if (headers.get("if-none-match") === entry.etag) {
      return new Response(null, { status: 304, headers: common });
    }
    return new Response(entry.body, {
      status: 200,
      headers: { ...common, "content-type": contentType },
    });
  }
}
