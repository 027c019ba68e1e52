/**
 * Fixtures for the pod admission plugins' tests: resource definitions, admission attributes,
 * and object views over an in-memory storage holding given objects.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { ApiError } from "../errors.ts";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import { ObjectViews } from "../store/object_views.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { AdmissionAttributes } from "./admission.ts";

/** The built-in definition of `group`/`resource`. */
export function def(group: string, resource: string): ResourceDef {
  const found = BUILTIN_RESOURCES.find((d) => d.group === group && d.resource === resource);
  if (!found) throw new TypeError(`Cannot find resource "${resource}" of group "${group}"`);
  return found;
}

/** Attributes of one admission request. */
export function attrs(
  operation: AdmissionAttributes["operation"],
  options: {
    def: ResourceDef;
    object?: KubeObject;
    oldObject?: KubeObject;
    namespace?: string;
    name?: string;
    subresource?: string;
    dryRun?: boolean;
  },
): AdmissionAttributes {
  return {
    operation,
    def: options.def,
    namespace: options.namespace ?? "default",
    name: options.name ?? options.object?.metadata?.name ?? options.oldObject?.metadata?.name ??
      "",
    subresource: options.subresource ?? "",
    object: options.object,
    oldObject: options.oldObject,
    dryRun: options.dryRun ?? false,
    username: "alice",
    groups: ["system:authenticated"],
    warnings: [],
  };
}

/** Views over a storage holding `objects`; dispose to stop them. */
export interface TestViews extends AsyncDisposable {
  readonly views: ObjectViews;
  readonly storage: MemoryStorage;
  /** Stores `obj` under the prefix of `resource`. */
  put(resource: string, obj: KubeObject): Promise<void>;
}

function keyOf(resource: string, obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns ? `/registry/${resource}/${ns}/${name}` : `/registry/${resource}/${name}`;
}

/** Builds {@linkcode TestViews} with `objects` (by resource) stored before the views start. */
export async function testViews(
  objects: Readonly<Record<string, readonly KubeObject[]>> = {},
): Promise<TestViews> {
  const storage = new MemoryStorage();
  const stop = new AbortController();
  for (const [resource, list] of Object.entries(objects)) {
    for (const obj of list) await storage.create(keyOf(resource, obj), encodeForStorage(obj));
  }
  const views = new ObjectViews({ storage, logger: new RecordingLogger(), signal: stop.signal });
  return {
    views,
    storage,
    async put(resource, obj) {
      const key = keyOf(resource, obj);
      const existing = await storage.get(key);
      if (existing) await storage.update(key, encodeForStorage(obj), existing.modRevision);
      else await storage.create(key, encodeForStorage(obj));
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await storage.close();
    },
  };
}

/** The `ApiError` `p` rejects with. */
export async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail("expected an ApiError");
}
