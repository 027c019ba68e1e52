/**
 * What the garbage collector learns from discovery: which resource serves an owner reference's
 * `apiVersion` + `kind` (a REST mapping, in every served version, not only the preferred one),
 * and which resources it must watch — the preferred version of every resource that supports
 * `delete`, `list` and `watch` (upstream `GetDeletableResources`), except the ignored ones
 * (Events, as upstream's `DefaultIgnoredResources`).
 *
 * @module
 */
import { type ApiResource, apiResource } from "../client/resources.ts";
import {
  type DiscoveredGroup,
  filterByVerbs,
  groupVersionResources,
  preferredResources,
} from "./_api_discovery.ts";

/** A group and resource name (`{ group: "", resource: "events" }`). */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** The resources the garbage collector never watches (upstream's defaults). */
export const DEFAULT_GC_IGNORED_RESOURCES: readonly GroupResource[] = Object.freeze([
  Object.freeze({ group: "", resource: "events" }),
  Object.freeze({ group: "events.k8s.io", resource: "events" }),
]);

/** An owner reference's kind that no served resource has. */
export class RestMappingError extends Error {
  readonly apiVersion: string;
  readonly kind: string;

  constructor(apiVersion: string, kind: string) {
    super(`unable to get REST mapping for ${apiVersion}/${kind}`);
    this.name = "RestMappingError";
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}

function gvOf(groupVersion: string): { group: string; version: string } | null {
  const parts = groupVersion.split("/");
  if (groupVersion === "" || parts.length > 2) return null;
  return parts.length === 1
    ? { group: "", version: parts[0]! }
    : { group: parts[0]!, version: parts[1]! };
}

/** `apiVersion` + `kind` → the resource serving it. */
export class RestMapper {
  readonly #byKind = new Map<string, ApiResource>();

  /** A mapper over the groups discovery found. */
  constructor(groups: readonly DiscoveredGroup[] = []) {
    for (const group of groups) {
      for (const { groupVersion, resources } of group.versions) {
        const gv = gvOf(groupVersion);
        if (!gv) continue;
        for (const r of resources) {
          if (r.name.includes("/") || r.kind === "") continue;
          const key = `${groupVersion}\u0000${r.kind}`;
          if (this.#byKind.has(key)) continue;
          this.#byKind.set(
            key,
            apiResource({ ...gv, resource: r.name, kind: r.kind, namespaced: r.namespaced }),
          );
        }
      }
    }
  }

  /** How many kinds are mapped. */
  get size(): number {
    return this.#byKind.size;
  }

  /** The resource of `apiVersion` + `kind`, or null. */
  find(apiVersion: string, kind: string): ApiResource | null {
    return this.#byKind.get(`${apiVersion}\u0000${kind}`) ?? null;
  }

  /** The resource of `apiVersion` + `kind`. @throws {RestMappingError} when none serves it. */
  resourceFor(apiVersion: string, kind: string): ApiResource {
    const found = this.find(apiVersion, kind);
    if (!found) throw new RestMappingError(apiVersion, kind);
    return found;
  }

  /** A mapper knowing this one's kinds and `other`'s (this one's win). */
  merge(other: RestMapper): RestMapper {
    const merged = new RestMapper();
    for (const [key, value] of other.#byKind) merged.#byKind.set(key, value);
    for (const [key, value] of this.#byKind) merged.#byKind.set(key, value);
    return merged;
  }
}

/**
 * The resources to watch: each resource's preferred version, when it supports `delete`,
 * `list` and `watch`, minus `ignored`. Sorted by group, then resource.
 */
export function deletableResources(
  groups: readonly DiscoveredGroup[],
  ignored: readonly GroupResource[] = DEFAULT_GC_IGNORED_RESOURCES,
): ApiResource[] {
  const skip = new Set(ignored.map((gr) => `${gr.group}/${gr.resource}`));
  const lists = filterByVerbs(preferredResources(groups), ["delete", "list", "watch"]);
  const namespaced = new Map<string, boolean>();
  for (const list of lists) {
    for (const r of list.resources) namespaced.set(`${list.groupVersion}/${r.name}`, r.namespaced);
  }
  return groupVersionResources(lists).resources
    .filter((r) => !skip.has(`${r.group}/${r.resource}`))
    .map((r) => {
      const gv = r.group === "" ? r.version : `${r.group}/${r.version}`;
      return apiResource({
        group: r.group,
        version: r.version,
        resource: r.resource,
        kind: r.kind,
        namespaced: namespaced.get(`${gv}/${r.resource}`) ?? false,
      });
    })
    .sort((a, b) =>
      a.group < b.group
        ? -1
        : a.group > b.group
        ? 1
        : a.resource < b.resource
        ? -1
        : a.resource > b.resource
        ? 1
        : 0
    );
}
