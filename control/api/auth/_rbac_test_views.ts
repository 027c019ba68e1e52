/**
 * Test support for the RBAC tests: object views over an in-memory storage, with helpers to
 * store roles and bindings and to wait for a view to see a write.
 *
 * @module
 */
import { MemoryStorage } from "../../storage/memory.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import type { ObjectView } from "../store/object_view.ts";
import { ObjectViews } from "../store/object_views.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { PolicyRule, Subject } from "../types/rbac_v1.ts";

const PLURAL: Readonly<Record<string, string>> = {
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  Role: "roles",
  RoleBinding: "rolebindings",
};

/** Storage, views and a logger for one test. */
export class RbacTestViews implements Disposable {
  readonly storage: MemoryStorage = new MemoryStorage();
  readonly logger: RecordingLogger = new RecordingLogger();
  readonly #stop = new AbortController();
  readonly views: ObjectViews = new ObjectViews({
    storage: this.storage,
    logger: this.logger,
    signal: this.#stop.signal,
  });

  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Stores `obj` (create, or update when it exists). */
  async put(obj: KubeObject): Promise<void> {
    const key = keyOf(obj);
    const existing = await this.storage.get(key);
    if (existing) await this.storage.update(key, encodeForStorage(obj), existing.modRevision);
    else await this.storage.create(key, encodeForStorage(obj));
  }

  /** Removes `obj`. */
  async remove(obj: KubeObject): Promise<void> {
    await this.storage.delete(keyOf(obj));
  }

  /** Stores `obj` and waits until the view of its kind has it. */
  async putAndWait(obj: KubeObject): Promise<void> {
    const view = this.views.get(prefixOf(obj));
    const seen = changeOf(view, keyOf(obj));
    await this.put(obj);
    await seen;
  }

  [Symbol.dispose](): void {
    this.#stop.abort();
  }
}

function prefixOf(obj: KubeObject): string {
  return `/registry/${PLURAL[obj.kind ?? ""]}/`;
}

function keyOf(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns ? `${prefixOf(obj)}${ns}/${name}` : `${prefixOf(obj)}${name}`;
}

/** Resolves on the view's next change of `key`. */
export function changeOf(view: ObjectView, key: string): Promise<void> {
  return new Promise((resolve) => {
    const off = view.onChange((c) => {
      if (c.key !== key) return;
      off();
      resolve();
    });
  });
}

/** A ClusterRole. */
export function clusterRole(name: string, rules: PolicyRule[]): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name },
    rules,
  } as KubeObject;
}

/** A Role. */
export function role(
  namespace: string,
  options: { name: string; rules: PolicyRule[] },
): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: options.name, namespace },
    rules: options.rules,
  } as KubeObject;
}

/** A ClusterRoleBinding of ClusterRole `role`. */
export function clusterBinding(
  name: string,
  options: { role: string; subjects: Subject[] },
): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: options.role },
    subjects: options.subjects,
  } as KubeObject;
}

/** A RoleBinding in `namespace` of a Role or ClusterRole. */
export function binding(
  namespace: string,
  options: { name: string; kind: "Role" | "ClusterRole"; role: string; subjects: Subject[] },
): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: options.name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: options.kind, name: options.role },
    subjects: options.subjects,
  } as KubeObject;
}
