/**
 * The scale of any controller through its `scale` subresource, as the disruption controller's
 * last finder (upstream `getScaleController`): the owner reference's kind is mapped to its
 * resource through discovery (`/api/v1`, `/apis/<group>/<version>`, cached per group-version
 * and read again on a miss), then `GET …/<resource>/<name>/scale` gives the uid and
 * `spec.replicas`. Errors carry upstream's texts (`no matches for kind …`, `… does not
 * implement the scale subresource`).
 *
 * @module
 */
import type { OwnerReference } from "../api/types/meta_v1.ts";
import { isNotFound, StatusError } from "../client/errors.ts";
import type { Transport } from "../client/transport.ts";

/** A controller's uid and desired replicas. */
export interface ControllerScale {
  readonly uid: string;
  readonly replicas: number;
}

/** Reads the scale of the controller an owner reference names. */
export interface ScaleLookup {
  /**
   * The scale of `ref` in `namespace`, or `null` when there is no such controller (or one with
   * another uid). Throws when the kind is unknown or has no scale subresource.
   */
  scaleOf(ref: OwnerReference, namespace: string): Promise<ControllerScale | null>;
}

interface ResourceEntry {
  readonly name: string;
  readonly kind: string;
}

/** Splits an `apiVersion` as apimachinery's `ParseGroupVersion` does. */
export function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
}

function basePath(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

async function getJson(transport: Transport, path: string): Promise<Record<string, unknown>> {
  const res = await transport.request("GET", path);
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) {
    throw StatusError.fromText(res.status, text, { method: "GET", headers: res.headers });
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SyntaxError(`Cannot parse the answer to GET ${path}: not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** {@linkcode ScaleLookup} over the API: discovery for the mapping, then the scale subresource. */
export class ApiScaleLookup implements ScaleLookup {
  readonly #transport: Transport;
  readonly #discovered = new Map<string, readonly ResourceEntry[]>();

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async #resources(group: string, version: string, fresh: boolean): Promise<ResourceEntry[]> {
    const gv = group === "" ? version : `${group}/${version}`;
    const cached = this.#discovered.get(gv);
    if (cached && !fresh) return [...cached];
    let doc: Record<string, unknown>;
    try {
      doc = await getJson(this.#transport, basePath(group, version));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      doc = {};
    }
    const list = (Array.isArray(doc.resources) ? doc.resources : []).map((raw) => {
      const r = (raw ?? {}) as Record<string, unknown>;
      return {
        name: typeof r.name === "string" ? r.name : "",
        kind: typeof r.kind === "string" ? r.kind : "",
      };
    });
    this.#discovered.set(gv, list);
    return list;
  }

  /** The plural resource of `kind` (a REST mapping), read again from discovery on a miss. */
  async #resourceFor(group: string, version: string, kind: string): Promise<string> {
    for (const fresh of [false, true]) {
      const found = (await this.#resources(group, version, fresh)).find((r) =>
        r.kind === kind && !r.name.includes("/")
      );
      if (found) return found.name;
    }
    const gv = group === "" ? version : `${group}/${version}`;
    throw new Error(`no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(gv)}`);
  }

  async scaleOf(ref: OwnerReference, namespace: string): Promise<ControllerScale | null> {
    const { group, version } = parseGroupVersion(ref.apiVersion);
    const resource = await this.#resourceFor(group, version, ref.kind);
    const path = `${basePath(group, version)}/namespaces/${encodeURIComponent(namespace)}/${
      encodeURIComponent(resource)
    }/${encodeURIComponent(ref.name)}/scale`;
    let scale: Record<string, unknown>;
    try {
      scale = await getJson(this.#transport, path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Either the object is missing or its kind has no scale subresource: say which.
      const implementsScale = (await this.#resources(group, version, false)).some((r) =>
        r.name === `${resource}/scale` && r.kind === "Scale"
      );
      if (!implementsScale) {
        const gr = group === "" ? resource : `${resource}.${group}`;
        throw new Error(`${gr} does not implement the scale subresource`);
      }
      return null;
    }
    const metadata = (scale.metadata ?? {}) as { uid?: unknown };
    const spec = (scale.spec ?? {}) as { replicas?: unknown };
    if (metadata.uid !== ref.uid) return null;
    return {
      uid: String(metadata.uid ?? ""),
      replicas: typeof spec.replicas === "number" ? spec.replicas : 0,
    };
  }
}
