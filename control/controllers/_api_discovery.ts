/**
 * Discovery as the namespace controller needs it (client-go's
 * `ServerPreferredNamespacedResources` and `GroupVersionResources`): the namespaced resources
 * of every group in its preferred version, read from the legacy discovery documents (`/api`,
 * `/apis`, `/api/v1`, `/apis/<group>/<version>`). Groups whose document cannot be read are
 * left out and reported in a {@linkcode GroupDiscoveryFailedError}, next to what was found.
 *
 * @module
 */
import { StatusError } from "../client/errors.ts";
import type { Transport } from "../client/transport.ts";

/** One resource of an `APIResourceList`. */
export interface DiscoveredResource {
  readonly name: string;
  readonly namespaced: boolean;
  readonly kind: string;
  readonly verbs: readonly string[];
}

/** One group-version's resources (an `APIResourceList`). */
export interface DiscoveredResourceList {
  /** `v1`, `apps/v1`. */
  readonly groupVersion: string;
  readonly resources: readonly DiscoveredResource[];
}

/** A resource named by group, version and plural name. */
export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
}

/** Some group-versions could not be discovered (client-go's `ErrGroupDiscoveryFailed`). */
export class GroupDiscoveryFailedError extends Error {
  /** The failing group-versions (`apps/v1`), each with its error. */
  readonly groups: ReadonlyMap<string, Error>;

  constructor(groups: ReadonlyMap<string, Error>) {
    const parts = [...groups].map(([gv, err]) => `${gv}: ${err.message}`).sort();
    super(`unable to retrieve the complete list of server APIs: ${parts.join(", ")}`);
    this.name = "GroupDiscoveryFailedError";
    this.groups = groups;
  }
}

/** What {@linkcode discoverPreferredNamespacedResources} found, and what went wrong. */
export interface DiscoveryResult {
  readonly lists: readonly DiscoveredResourceList[];
  /** Set when some (or all) of discovery failed; `lists` holds what was found anyway. */
  readonly error: Error | null;
}

interface GroupVersionEntry {
  readonly groupVersion: string;
  readonly version: string;
}

interface ApiGroupEntry {
  readonly name: string;
  readonly versions: readonly GroupVersionEntry[];
  readonly preferredVersion?: GroupVersionEntry;
}

async function getJson(
  transport: Transport,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const res = await transport.request("GET", path, signal ? { signal } : {});
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) {
    throw StatusError.fromText(res.status, text, { method: "GET", headers: res.headers });
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SyntaxError(`Cannot parse discovery document "${path}": not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function groupsOf(coreVersions: readonly string[], groupList: unknown[]): ApiGroupEntry[] {
  const groups: ApiGroupEntry[] = [];
  if (coreVersions.length > 0) {
    const versions = coreVersions.map((v) => ({ groupVersion: v, version: v }));
    groups.push({ name: "", versions, preferredVersion: versions[0]! });
  }
  for (const raw of groupList) {
    const g = raw as Record<string, unknown>;
    const versions = asArray(g.versions).map((v) => {
      const entry = v as Record<string, unknown>;
      return { groupVersion: asString(entry.groupVersion), version: asString(entry.version) };
    });
    const preferred = g.preferredVersion as Record<string, unknown> | undefined;
    groups.push({
      name: asString(g.name),
      versions,
      ...(preferred
        ? {
          preferredVersion: {
            groupVersion: asString(preferred.groupVersion),
            version: asString(preferred.version),
          },
        }
        : {}),
    });
  }
  return groups;
}

function resourcesOf(doc: Record<string, unknown>): DiscoveredResource[] {
  return asArray(doc.resources).map((raw) => {
    const r = raw as Record<string, unknown>;
    return {
      name: asString(r.name),
      namespaced: r.namespaced === true,
      kind: asString(r.kind),
      verbs: asArray(r.verbs).filter((v): v is string => typeof v === "string"),
    };
  });
}

/** Options of {@linkcode discoverPreferredNamespacedResources}. */
export interface DiscoverOptions {
  readonly signal?: AbortSignal;
}

/**
 * The namespaced resources of every group, each in the group's preferred version (or the first
 * version serving it), subresources left out. A failing group-version is left out and named in
 * the returned {@linkcode GroupDiscoveryFailedError}; if the group lists themselves cannot be
 * read, `lists` is empty and `error` says why.
 */
export async function discoverPreferredNamespacedResources(
  transport: Transport,
  options: DiscoverOptions = {},
): Promise<DiscoveryResult> {
  const { groups, error } = await discoverServerResources(transport, options);
  const lists = preferredResources(groups)
    .map((list) => ({
      groupVersion: list.groupVersion,
      resources: list.resources.filter((r) => r.namespaced),
    }))
    .filter((list) => list.resources.length > 0);
  return { lists, error };
}

/** The resource lists keeping only resources that support every verb of `verbs`. */
export function filterByVerbs(
  lists: readonly DiscoveredResourceList[],
  verbs: readonly string[],
): DiscoveredResourceList[] {
  return lists
    .map((list) => ({
      groupVersion: list.groupVersion,
      resources: list.resources.filter((r) => verbs.every((v) => r.verbs.includes(v))),
    }))
    .filter((list) => list.resources.length > 0);
}

/** What {@linkcode groupVersionResources} answers. */
export interface GroupVersionResourcesResult {
  /** Each resource with its group-version's verbs-filtered discovery entry. */
  readonly resources: readonly (GroupVersionResource & { readonly verbs: readonly string[] })[];
  /** The first group-version that could not be parsed, as client-go reports it. */
  readonly error: Error | null;
}

/** Parses the lists' group-versions (`unexpected GroupVersion string: …` for bad ones). */
export function groupVersionResources(
  lists: readonly DiscoveredResourceList[],
): GroupVersionResourcesResult {
  const resources: (GroupVersionResource & { verbs: readonly string[] })[] = [];
  let error: Error | null = null;
  for (const list of lists) {
    const parts = list.groupVersion.split("/");
    if (list.groupVersion === "" || parts.length > 2) {
      error ??= new Error(`unexpected GroupVersion string: ${list.groupVersion}`);
      continue;
    }
    const [group, version] = parts.length === 1 ? ["", parts[0]!] : [parts[0]!, parts[1]!];
    for (const r of list.resources) {
      resources.push({ group, version, resource: r.name, kind: r.kind, verbs: r.verbs });
    }
  }
  return { resources, error };
}

/** `apps/v1, Resource=deployments` (`/v1, Resource=pods` for the core group), as Go prints it. */
export function formatGroupVersionResource(gvr: GroupVersionResource): string {
  return `${gvr.group}/${gvr.version}, Resource=${gvr.resource}`;
}

/** One group-version of {@linkcode discoverServerResources}, with all its resources. */
export interface DiscoveredGroupVersion {
  /** `v1`, `apps/v1`. */
  readonly groupVersion: string;
  readonly version: string;
  /** Every resource, subresources (`pods/status`) included. */
  readonly resources: readonly DiscoveredResource[];
}

/** One API group as discovery describes it. */
export interface DiscoveredGroup {
  /** `""` for the core group. */
  readonly name: string;
  /** The preferred version (`v1`), or `""` when the server names none. */
  readonly preferredVersion: string;
  /** The versions whose documents could be read, in the server's order. */
  readonly versions: readonly DiscoveredGroupVersion[];
}

/** What {@linkcode discoverServerResources} found, and what went wrong. */
export interface ServerResourcesResult {
  readonly groups: readonly DiscoveredGroup[];
  /** Set when some (or all) of discovery failed; `groups` holds what was found anyway. */
  readonly error: Error | null;
}

/**
 * Every group, version and resource the server serves, both scopes (what client-go's
 * `ServerGroupsAndResources` reads). A failing group-version is left out and named in the
 * returned {@linkcode GroupDiscoveryFailedError}; if the group lists themselves cannot be read,
 * `groups` is empty and `error` says why.
 */
export async function discoverServerResources(
  transport: Transport,
  options: DiscoverOptions = {},
): Promise<ServerResourcesResult> {
  const { signal } = options;
  let groups: ApiGroupEntry[];
  try {
    const [core, named] = await Promise.all([
      getJson(transport, "/api", signal),
      getJson(transport, "/apis", signal),
    ]);
    const coreVersions = asArray(core.versions).filter((v): v is string => typeof v === "string");
    groups = groupsOf(coreVersions, asArray(named.groups));
  } catch (err) {
    if (signal?.aborted) throw err;
    return { groups: [], error: err instanceof Error ? err : new Error(String(err)) };
  }
  const failed = new Map<string, Error>();
  const fetched = new Map<string, DiscoveredResource[]>();
  await Promise.all(
    groups.flatMap((g) => g.versions).map(async ({ groupVersion }) => {
      const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
      try {
        fetched.set(groupVersion, resourcesOf(await getJson(transport, path, signal)));
      } catch (err) {
        if (signal?.aborted) throw err;
        failed.set(groupVersion, err instanceof Error ? err : new Error(String(err)));
      }
    }),
  );
  const out = groups.map((g) => ({
    name: g.name,
    preferredVersion: g.preferredVersion?.version ?? "",
    versions: g.versions.flatMap(({ groupVersion, version }) => {
      const resources = fetched.get(groupVersion);
      return resources ? [{ groupVersion, version, resources }] : [];
    }),
  }));
  return { groups: out, error: failed.size > 0 ? new GroupDiscoveryFailedError(failed) : null };
}

/**
 * client-go's `ServerPreferredResources` over what {@linkcode discoverServerResources} found:
 * every resource of every group (both scopes, no subresources) in the group's preferred
 * version, or else the first version that serves it.
 */
export function preferredResources(groups: readonly DiscoveredGroup[]): DiscoveredResourceList[] {
  const chosen = new Map<string, { groupVersion: string; resource: DiscoveredResource }>();
  for (const group of groups) {
    for (const { groupVersion, version, resources } of group.versions) {
      for (const resource of resources) {
        if (resource.name.includes("/")) continue;
        const key = `${group.name}/${resource.name}`;
        if (chosen.has(key) && version !== group.preferredVersion) continue;
        chosen.set(key, { groupVersion, resource });
      }
    }
  }
  const byGroupVersion = new Map<string, DiscoveredResource[]>();
  for (const { groupVersion, resource } of chosen.values()) {
    let list = byGroupVersion.get(groupVersion);
    if (!list) byGroupVersion.set(groupVersion, list = []);
    list.push(resource);
  }
  return [...byGroupVersion].map(([groupVersion, resources]) => ({ groupVersion, resources }));
}
