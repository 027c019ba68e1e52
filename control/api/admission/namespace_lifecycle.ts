/**
 * The NamespaceLifecycle admission plugin: objects are created only in namespaces that exist
 * and are not being deleted, and the system namespaces cannot be deleted — with
 * kube-apiserver's codes and messages (404 `namespaces "x" not found`; 403 `unable to create new
 * content in namespace x because it is being terminated`; 403 `this namespace may not be
 * deleted`).
 *
 * Namespace state comes from an in-memory view fed by a storage watch, so admission reads no
 * storage per request; a namespace the view has not seen yet is looked up directly.
 *
 * @module
 */
import type { Storage } from "../../storage/types.ts";
import type { Logger } from "../../util/logger.ts";
import { ApiError } from "../errors.ts";
import { decodeStored } from "../store/object_codec.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.ts";

/** Namespaces that always exist and may not be deleted. */
export const SYSTEM_NAMESPACES: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
];

const PREFIX = "/registry/namespaces/";

/** Kinds that may still be created in a terminating namespace (as upstream allows). */
const ALLOWED_WHILE_TERMINATING = new Set(["events", "serviceaccounts/token"]);

interface NamespaceState {
  readonly terminating: boolean;
}

function stateOf(obj: KubeObject): NamespaceState {
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  return { terminating: !!obj.metadata?.deletionTimestamp || phase === "Terminating" };
}

/** Options of {@linkcode NamespaceLifecycle}. */
export interface NamespaceLifecycleOptions {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** The NamespaceLifecycle plugin. */
export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = "NamespaceLifecycle";
  readonly #o: NamespaceLifecycleOptions;
  readonly #known = new Map<string, NamespaceState>();
  #synced: Promise<void> | null = null;

  constructor(options: NamespaceLifecycleOptions) {
    this.#o = options;
  }

  #sync(): Promise<void> {
    if (this.#synced) return this.#synced;
    this.#synced = (async () => {
      const page = await this.#o.storage.list(PREFIX);
      for (const kv of page.items) {
        this.#known.set(
          kv.key.slice(PREFIX.length),
          stateOf(decodeStored(kv.value, kv.modRevision)),
        );
      }
      (async () => {
        try {
          for await (const ev of this.#o.storage.watch(PREFIX, page.revision, this.#o.signal)) {
            const name = ev.kv.key.slice(PREFIX.length);
            if (ev.type === "deleted") this.#known.delete(name);
            else this.#known.set(name, stateOf(decodeStored(ev.kv.value, ev.kv.modRevision)));
          }
        } catch (err) {
          if (this.#o.signal.aborted) return;
          this.#o.logger.warn("Namespace view lost its watch", { error: err });
          this.#known.clear();
          this.#synced = null;
        }
      })();
    })();
    this.#synced.catch(() => this.#synced = null);
    return this.#synced;
  }

  async #lookup(name: string): Promise<NamespaceState | null> {
    await this.#sync();
    const known = this.#known.get(name);
    if (known) return known;
    // Created an instant ago and not yet seen by the watch: ask storage.
    const kv = await this.#o.storage.get(`${PREFIX}${name}`);
    return kv ? stateOf(decodeStored(kv.value, kv.modRevision)) : null;
  }

  // A mutating-phase plugin, as upstream: it refuses before other plugins look at the object.
  async admit(a: AdmissionAttributes): Promise<void> {
    const isNamespace = a.def.group === "" && a.def.resource === "namespaces";
    if (a.operation === "DELETE" && isNamespace && a.subresource === "") {
      if (SYSTEM_NAMESPACES.includes(a.name)) {
        throw ApiError.forbidden({ group: "", resource: "namespaces" }, {
          name: a.name,
          detail: "this namespace may not be deleted",
        });
      }
      return;
    }
    if (a.operation !== "CREATE" || !a.def.namespaced || a.namespace === "") return;
    const ns = await this.#lookup(a.namespace);
    if (ns === null) throw ApiError.notFound({ group: "", resource: "namespaces" }, a.namespace);
    const resource = a.subresource ? `${a.def.resource}/${a.subresource}` : a.def.resource;
    if (ns.terminating && !ALLOWED_WHILE_TERMINATING.has(resource)) {
      throw new ApiError(
        `${
          a.def.group ? `${a.def.resource}.${a.def.group}` : a.def.resource
        } "${a.name}" is forbidden: unable to create new content in namespace ${a.namespace} because it is being terminated`,
        {
          code: 403,
          reason: "Forbidden",
          details: {
            name: a.name,
            group: a.def.group,
            kind: a.def.resource,
            causes: [{
              reason: "NamespaceTerminating",
              message: `namespace ${a.namespace} is being terminated`,
              field: "metadata.namespace",
            }],
          },
        },
      );
    }
  }
}
