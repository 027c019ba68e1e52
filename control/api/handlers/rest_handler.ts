/**
 * The generic REST verbs over storage, for every kind: get, list, create, update, patch,
 * delete and deletecollection, with the semantics of kube-apiserver's generic registry —
 * optimistic concurrency on resourceVersion, generateName, dry run, field validation, graceful
 * deletion, finalizers and propagation policies, the status subresource split — and answers in
 * the negotiated format. Watches are in `watch_handler.ts`, special subresources in
 * `subresource_handlers.ts`.
 *
 * @module
 */
import { guaranteedUpdate } from "../../storage/guaranteed_update.ts";
import { encodeContinue } from "../../storage/continue_token.ts";
import { ConflictError, KeyExistsError, KeyNotFoundError } from "../../storage/errors.ts";
import type { KeyValue, ListResult } from "../../storage/types.ts";
import type { AdmissionAttributes, AdmissionOperation } from "../admission/admission.ts";
import { decodeObject, formatStrictErrors } from "../codec/decode.ts";
import { parseJsonBody } from "../codec/json_body.ts";
import { parseYamlBody } from "../codec/yaml_body.ts";
import { ApiError, mapStorageError } from "../errors.ts";
import { FieldManager, ignoreManagedFieldsTimestamps } from "../fieldmanager/field_manager.ts";
import { validateManagedFields } from "../fieldmanager/managed_fields.ts";
import { managerOrUserAgent, validateFieldManager } from "../fieldmanager/manager_name.ts";
import { applyJsonPatch } from "../patch/json_patch.ts";
import { applyMergePatch } from "../patch/merge_patch.ts";
import { PatchError } from "../patch/patch_error.ts";
import {
  BUILT_IN_PATCH_MEDIA_TYPES,
  CUSTOM_RESOURCE_PATCH_MEDIA_TYPES,
  parsePatchType,
} from "../patch/patch_type.ts";
import { applyStrategicMergePatch } from "../patch/strategic_merge_patch.ts";
import { groupVersion, type ResourceDef } from "../registry/resource_def.ts";
import { FieldSelectorParseError, parseFieldSelector } from "../selectors/field_selector.ts";
import { parseLabelSelector, SelectorParseError } from "../selectors/label_selector.ts";
import type { FieldSelector } from "../selectors/field_selector.ts";
import type { LabelMatcher } from "../selectors/label_selector.ts";
import {
  decodeStored,
  encodeForStorage,
  type ListPart,
  storedListBytes,
  storedToJson,
  storedToJsonBytes,
} from "../store/object_codec.ts";
import { type KeyLayout, listPrefix, objectKey, storagePrefixOf } from "../store/storage_keys.ts";
import type { ObjectAttrs } from "../store/watch_cache.ts";
import { DeleteOptions as DeleteOptionsSchema } from "../types/meta_v1.ts";
import type { DeleteOptions, KubeObject } from "../types/meta_v1.ts";
import { isJsonObject } from "../util/json_value.ts";
import { type FieldError, forbidden, notSupported, required } from "../validation/field_errors.ts";
import type { ResourceRequest, ServerParts } from "./context.ts";
import {
  decodeBody,
  dryRunOf,
  fieldValidationOf,
  type OptionsKind,
  type ProtobufDecoder,
} from "./decode_body.ts";
import {
  createWarnings,
  prepareCreate,
  prepareUpdate,
  resetObject,
  rfc3339,
  sameObject,
  updateWarnings,
  validateCreate,
  validateUpdate,
} from "./object_lifecycle.ts";
import {
  type ListItem,
  renderJsonBytes,
  renderList,
  renderObject,
  renderSuccess,
  streamedResponse,
} from "./render.ts";

/** Storage pages a streamed list reads at a time. */
const STREAM_PAGE = 500;
/** The end of a streamed list's JSON. */
const LIST_END = new TextEncoder().encode("]}");
/** The headers of a streamed JSON list. */
const JSON_LIST_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-cache, private",
  "content-type": "application/json",
};
/** Storage pages read per round when a list filters by selectors. */
const LIST_PAGE = 500;
/** generateName collisions retried before giving up (1.30+ retries). */
const GENERATE_NAME_ATTEMPTS = 8;
/** Subresources whose writes through `mutateStored` record managedFields. */
const TRACKED_SUBRESOURCES: ReadonlySet<string> = new Set(["scale", "finalize"]);

/** The 422 of invalid write options (`CreateOptions.meta.k8s.io "" is invalid: …`). */
function invalidOptions(kind: OptionsKind, errors: FieldError[]): ApiError {
  return ApiError.invalid({ group: "meta.k8s.io", kind }, { name: "", errors });
}

/** Go's `strconv.ParseBool` truths, as the query parameter decoder reads `force`. */
function queryBool(value: string | null): boolean {
  return value !== null && ["1", "t", "T", "TRUE", "true", "True"].includes(value);
}

/** The apply configuration's own metadata, if it has any. */
function configMetadata(config: Record<string, unknown>): Record<string, unknown> | undefined {
  return isJsonObject(config.metadata) ? config.metadata : undefined;
}

/** The attributes selectors match, for any object of `def`. */
export function attrsOf(def: ResourceDef): (obj: KubeObject) => ObjectAttrs {
  const getters = Object.entries(def.fieldSelectors ?? {});
  return (obj) => {
    const meta = obj.metadata ?? {};
    const fields: Record<string, string | undefined> = { "metadata.name": meta.name };
    if (def.namespaced) fields["metadata.namespace"] = meta.namespace;
    for (const [f, get] of getters) fields[f] = get(obj);
    return {
      namespace: meta.namespace ?? "",
      name: meta.name ?? "",
      labels: meta.labels ?? {},
      fields,
    };
  };
}

/** Selectors of a list or watch, parsed and checked against the kind's selectable fields. */
export interface Selectors {
  readonly labels: LabelMatcher;
  readonly fields: FieldSelector;
}

/** Parses `labelSelector` and `fieldSelector`, answering 400 as kube-apiserver does. */
export function parseSelectors(def: ResourceDef, query: URLSearchParams): Selectors {
  let labels: LabelMatcher;
  let fields: FieldSelector;
  try {
    labels = parseLabelSelector(query.get("labelSelector") ?? "");
  } catch (err) {
    if (err instanceof SelectorParseError) throw ApiError.badRequest(err.message);
    throw err;
  }
  try {
    fields = parseFieldSelector(query.get("fieldSelector") ?? "");
  } catch (err) {
    if (err instanceof FieldSelectorParseError) throw ApiError.badRequest(err.message);
    throw err;
  }
  const supported = new Set(["metadata.name", ...Object.keys(def.fieldSelectors ?? {})]);
  if (def.namespaced) supported.add("metadata.namespace");
  for (const r of fields.requirements) {
    if (!supported.has(r.field)) {
      throw ApiError.badRequest(`field label not supported: ${r.field}`);
    }
  }
  return { labels, fields };
}

/** Whether an object's attributes pass the selectors. */
export function selects(s: Selectors, attrs: ObjectAttrs): boolean {
  return s.labels.matches(attrs.labels) && s.fields.matches(attrs.fields);
}

function parseRevision(value: string | null, what: string): number | null {
  if (value === null || value === "") return null;
  if (!/^\d+$/.test(value)) {
    throw ApiError.badRequest(
      `${what}: Invalid value: ${JSON.stringify(value)}: must be an integer`,
    );
  }
  return Number(value);
}

function parseIntParam(value: string | null, what: string): number | null {
  if (value === null || value === "") return null;
  if (!/^-?\d+$/.test(value)) {
    throw ApiError.badRequest(
      `${what}: Invalid value: ${JSON.stringify(value)}: must be an integer`,
    );
  }
  return Number(value);
}

/** The 410 of a continue token whose revision was compacted (kube-apiserver's text). */
const CONTINUE_EXPIRED =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** A storage error of a list, with the texts upstream uses for expired history. */
function listError(
  err: unknown,
  o: { ctx: { group: string; resource: string; name: string }; cont: string; readAt: number },
): ApiError {
  const mapped = mapStorageError(err, o.ctx);
  if (mapped.code === 410 && o.cont !== "") return ApiError.expired(CONTINUE_EXPIRED);
  if (mapped.code === 410 && o.readAt > 0) {
    return ApiError.expired("The resourceVersion for the provided list is too old.");
  }
  return mapped;
}

/** Options of {@linkcode RestHandler}. */
export interface RestHandlerOptions {
  /** Decodes protobuf request bodies; without it they are refused with 415. */
  readonly protobuf?: ProtobufDecoder;
}

/** The generic verbs. */
export class RestHandler {
  readonly #parts: ServerParts;
  readonly #protobuf: ProtobufDecoder | undefined;
  /** Field managers by kind and subresource. */
  readonly #fieldManagers = new WeakMap<ResourceDef, Map<string, FieldManager>>();

  constructor(parts: ServerParts, options: RestHandlerOptions = {}) {
    this.#parts = parts;
    this.#protobuf = options.protobuf;
  }

  /** The storage layout of `def`. */
  layout(def: ResourceDef): KeyLayout {
    return { prefix: storagePrefixOf(def), namespaced: def.namespaced };
  }

  /** The key of `name` in `namespace`. */
  key(def: ResourceDef, id: { namespace: string; name: string }): string {
    return objectKey(this.layout(def), id);
  }

  /** Decodes a stored value as `def`'s object, converting from the storage version. */
  fromStored(def: ResourceDef, kv: KeyValue): KubeObject {
    const obj = decodeStored(kv.value, kv.modRevision);
    return def.conversion ? def.conversion.fromStorage(obj) : obj;
  }

  /** The JSON text of a stored value as `def`'s object. */
  storedJson(def: ResourceDef, kv: KeyValue): string {
    return def.conversion
      ? JSON.stringify(this.fromStored(def, kv))
      : storedToJson(kv.value, kv.modRevision);
  }

  /** Encodes `obj` for storage, converting to the storage version. */
  toStored(def: ResourceDef, obj: KubeObject): Uint8Array {
    return encodeForStorage(def.conversion ? def.conversion.toStorage(obj) : obj);
  }

  #now(): number {
    return this.#parts.clock.now();
  }

  /** The field manager of writes to `def` through `subresource` ("" for the main resource). */
  #fieldManager(def: ResourceDef, subresource: string): FieldManager {
    let bySub = this.#fieldManagers.get(def);
    if (bySub === undefined) this.#fieldManagers.set(def, bySub = new Map());
    let fm = bySub.get(subresource);
    if (fm === undefined) {
      fm = new FieldManager({
        schema: def.schema,
        group: def.group,
        version: def.version,
        kind: def.kind,
        subresource,
        statusSubresource: def.statusSubresource === true,
        unstructured: def.custom === true,
      });
      bySub.set(subresource, fm);
    }
    return fm;
  }

  /**
   * The manager a non-apply write is recorded for: `?fieldManager=` (checked as upstream, 422
   * when invalid) or the User-Agent's prefix.
   */
  #writeManager(req: ResourceRequest, kind: OptionsKind): string {
    const param = req.query.get("fieldManager") ?? "";
    const errs = validateFieldManager(param, "fieldManager");
    if (errs.length > 0) throw invalidOptions(kind, errs);
    return managerOrUserAgent(param, req.headers.get("user-agent") ?? "");
  }

  /** Records the write of `obj` (from `live`; null for a create) in its managedFields. */
  #recordWrite(
    req: ResourceRequest,
    w: { live: KubeObject | null; obj: KubeObject; manager: string; subresource: string },
  ): void {
    this.#fieldManager(req.def, w.subresource).update(w.live, w.obj, {
      manager: w.manager,
      nowMs: this.#now(),
    });
  }

  #render(req: ResourceRequest, obj: KubeObject, status = 200, warnings: string[] = []): Response {
    return renderObject(obj, {
      def: req.def,
      output: req.output,
      query: req.query,
      nowMs: this.#now(),
      status,
      warnings,
    });
  }

  /**
   * The answer to a write: for JSON clients, the stored text with its new resourceVersion
   * (no second serialization of the object); otherwise rendered from `obj`.
   */
  #renderWritten(
    req: ResourceRequest,
    w: { obj: KubeObject; kv: KeyValue; status: number; warnings: string[] },
  ): Response {
    if (req.output?.format === "json" && !req.def.conversion) {
      return renderJsonBytes(storedToJsonBytes(w.kv.value, w.kv.modRevision), {
        status: w.status,
        warnings: w.warnings,
      });
    }
    return this.#render(req, w.obj, w.status, w.warnings);
  }

  async #read(req: ResourceRequest, name: string): Promise<KeyValue | null> {
    const key = this.key(req.def, { namespace: req.info.namespace, name });
    try {
      return await this.#parts.storage.get(key);
    } catch (err) {
      throw mapStorageError(err, { group: req.def.group, resource: req.def.resource, name });
    }
  }

  /** Reads the object a request names, or answers 404. */
  async getExisting(req: ResourceRequest): Promise<{ kv: KeyValue; obj: KubeObject }> {
    const kv = await this.#read(req, req.info.name);
    if (kv === null) throw ApiError.notFound(req.def, req.info.name);
    return { kv, obj: this.fromStored(req.def, kv) };
  }

  #admissionAttrs(
    req: ResourceRequest,
    operation: AdmissionOperation,
    objects: { object?: KubeObject; oldObject?: KubeObject; name?: string; dryRun: boolean },
  ): AdmissionAttributes {
    return {
      operation,
      def: req.def,
      namespace: req.info.namespace,
      name: objects.name ?? req.info.name,
      subresource: req.info.subresource,
      object: objects.object,
      oldObject: objects.oldObject,
      dryRun: objects.dryRun,
      username: req.user.username,
      groups: req.user.groups,
      user: req.user,
      warnings: [],
    };
  }

  /** Runs `step`; if it throws, tells admission the write did not happen, then rethrows. */
  async #admitted(attrs: AdmissionAttributes, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.#parts.admission.committed(attrs, false);
      throw err;
    }
  }

  #invalid(req: ResourceRequest, name: string, errors: FieldError[]): ApiError {
    return ApiError.invalid(req.def, { name, errors });
  }

  // --- get -----------------------------------------------------------------------------------

  /** GET of one object. */
  async get(req: ResourceRequest): Promise<Response> {
    if (req.output?.format === "json" && !req.def.conversion) {
      // The common case (controllers, kubectl -o json): the stored text with its
      // resourceVersion spliced in, without a parse and a re-serialization.
      const kv = await this.#read(req, req.info.name);
      if (kv === null) throw ApiError.notFound(req.def, req.info.name);
      return renderJsonBytes(storedToJsonBytes(kv.value, kv.modRevision));
    }
    const { obj } = await this.getExisting(req);
    return this.#render(req, obj);
  }

  // --- list ----------------------------------------------------------------------------------

  /** GET of a collection. */
  async list(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    const selectors = parseSelectors(def, query);
    const limit = parseIntParam(query.get("limit"), "limit") ?? 0;
    const cont = query.get("continue") ?? "";
    const rvText = query.get("resourceVersion");
    const rv = parseRevision(rvText, "resourceVersion");
    const match = query.get("resourceVersionMatch") ?? "";
    // ValidateListOptions: 422 on ListOptions, as upstream.
    const listErrors: FieldError[] = [];
    if (match !== "") {
      if (rv === null) {
        listErrors.push(forbidden(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden unless resourceVersion is provided",
        ));
      }
      if (cont !== "") {
        listErrors.push(forbidden(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden when continue is provided",
        ));
      }
      if (match !== "Exact" && match !== "NotOlderThan") {
        listErrors.push(notSupported("resourceVersionMatch", {
          value: match,
          supported: ["Exact", "NotOlderThan", ""],
        }));
      }
      if (match === "Exact" && rvText === "0") {
        listErrors.push(forbidden(
          "resourceVersionMatch",
          'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ));
      }
    }
    if (query.get("sendInitialEvents") !== null) {
      listErrors.push(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"));
    }
    if (listErrors.length > 0) {
      throw ApiError.invalid({ group: "meta.k8s.io", kind: "ListOptions" }, {
        name: "",
        errors: listErrors,
      });
    }
    if (cont !== "" && rv !== null && rv !== 0) {
      throw ApiError.badRequest("specifying resource version is not allowed when using continue");
    }
    const storage = this.#parts.storage;
    const ctx = { group: def.group, resource: def.resource, name: "" };
    let readAt = 0;
    try {
      if (match === "Exact") {
        readAt = rv!;
      } else if (rv !== null && rv > 0) {
        const current = await storage.currentRevision();
        if (rv > current) {
          throw ApiError.timeout(`Too large resource version: ${rv}, current: ${current}`);
        }
      }
    } catch (err) {
      throw mapStorageError(err, ctx);
    }

    const prefix = listPrefix(this.layout(def), req.info.namespace);
    const filtering = !selectors.labels.empty || !selectors.fields.empty || !!def.conversion;
    const attrs = attrsOf(def);
    const items: ListItem[] = [];
    let token = cont;
    let revision = 0;
    let more: string | undefined;

    // `metadata.name=x` within a namespace (kubectl get x -w, rollout status): one read.
    const onlyName = selectors.fields.requiredValue("metadata.name");
    if (onlyName !== undefined && cont === "" && (!def.namespaced || req.info.namespace)) {
      try {
        const key = objectKey(this.layout(def), { namespace: req.info.namespace, name: onlyName });
        const kv = readAt > 0
          ? await storage.get(key, { revision: readAt })
          : await storage.get(key);
        revision = readAt > 0 ? readAt : await storage.currentRevision();
        if (kv) {
          const obj = this.fromStored(def, kv);
          if (selects(selectors, attrs(obj))) items.push({ json: this.storedJson(def, kv), obj });
        }
      } catch (err) {
        throw mapStorageError(err, ctx);
      }
      return renderList(items, {
        meta: { resourceVersion: String(revision) },
        def,
        output: req.output,
        query,
        nowMs: this.#now(),
      });
    }

    if (limit === 0 && req.output?.format === "json") {
      return await this.#streamList(req, { prefix, selectors, readAt, filtering, cont });
    }

    try {
      for (;;) {
        const want = limit > 0 ? limit - items.length : 0;
        const pageLimit = limit > 0 ? (filtering ? Math.max(want, LIST_PAGE) : want) : 0;
        const page = await storage.list(prefix, {
          ...(pageLimit > 0 ? { limit: pageLimit } : {}),
          ...(token ? { continue: token } : {}),
          ...(readAt > 0 && !token ? { revision: readAt } : {}),
        });
        revision = page.revision;
        let lastKey: string | undefined;
        for (const kv of page.items) {
          lastKey = kv.key;
          if (filtering) {
            const obj = this.fromStored(def, kv);
            if (!selects(selectors, attrs(obj))) continue;
            items.push({ json: this.storedJson(def, kv), obj });
          } else {
            items.push({ json: storedToJson(kv.value, kv.modRevision) });
          }
          if (limit > 0 && items.length >= limit) break;
        }
        if (limit > 0 && items.length >= limit) {
          const exhausted = page.continue === undefined && lastKey === page.items.at(-1)?.key;
          if (!exhausted && lastKey !== undefined) {
            more = encodeContinue(revision, lastKey);
          }
          break;
        }
        if (page.continue === undefined) break;
        token = page.continue;
      }
    } catch (err) {
      throw listError(err, { ctx, cont, readAt });
    }
    return renderList(items, {
      meta: { resourceVersion: String(revision), ...(more ? { continue: more } : {}) },
      def,
      output: req.output,
      query,
      nowMs: this.#now(),
    });
  }

  /**
   * An unpaged JSON list, streamed page by page from one storage revision, so a list of
   * thousands of objects never sits in memory whole (a 10k-pod list would otherwise build a
   * 10 MB string, and the server's RSS keeps the high-water mark).
   */
  async #streamList(
    req: ResourceRequest,
    options: {
      prefix: string;
      selectors: Selectors;
      readAt: number;
      filtering: boolean;
      /** The continue token the client sent, if any: the stream starts there. */
      cont: string;
    },
  ): Promise<Response> {
    const { def } = req;
    const storage = this.#parts.storage;
    const attrs = attrsOf(def);
    const ctx = { group: def.group, resource: def.resource, name: "" };
    const pageOf = async (token: string | undefined) => {
      try {
        return await storage.list(options.prefix, {
          limit: STREAM_PAGE,
          ...(token ? { continue: token } : {}),
          ...(options.readAt > 0 && !token ? { revision: options.readAt } : {}),
        });
      } catch (err) {
        throw listError(err, { ctx, cont: token ?? "", readAt: options.readAt });
      }
    };
    const itemsOf = (page: ListResult): readonly ListPart[] => {
      if (!options.filtering) return page.items;
      const out: ListPart[] = [];
      for (const kv of page.items) {
        const obj = this.fromStored(def, kv);
        if (!selects(options.selectors, attrs(obj))) continue;
        out.push({ json: this.storedJson(def, kv) });
      }
      return out;
    };
    let page = await pageOf(options.cont || undefined);
    const head = `{"kind":${JSON.stringify(`${def.kind}List`)},"apiVersion":${
      JSON.stringify(groupVersion(def))
    },"metadata":${JSON.stringify({ resourceVersion: String(page.revision) })},"items":[`;
    // Each page goes out as one chunk of the stored bytes, spliced, never decoded to text.
    let first = true;
    let done = false;
    const send = (controller: ReadableStreamDefaultController<Uint8Array>, p: ListResult) => {
      const items = itemsOf(p);
      if (items.length > 0) {
        controller.enqueue(storedListBytes(items, !first));
        first = false;
      }
      if (p.continue === undefined) {
        controller.enqueue(LIST_END.slice());
        controller.close();
        done = true;
      }
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(head));
        send(controller, page);
      },
      async pull(controller) {
        if (done) return;
        page = await pageOf(page.continue);
        send(controller, page);
      },
    });
    return streamedResponse(body, { status: 200, headers: JSON_LIST_HEADERS });
  }

  // --- create --------------------------------------------------------------------------------

  /** POST of a new object. */
  async create(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    const dryRun = dryRunOf(query, "CreateOptions");
    this.#writeManager(req, "CreateOptions");
    const { object: obj, warnings } = decodeBody(await req.body(), {
      contentType: req.headers.get("content-type"),
      schema: def.schema,
      group: def.group,
      version: def.version,
      kind: def.kind,
      fieldValidation: fieldValidationOf(query, "CreateOptions"),
      ...(this.#protobuf ? { protobuf: this.#protobuf } : {}),
    });
    return await this.createObject(req, obj, { dryRun, warnings });
  }

  /** Creates `obj` (decoded) as `req` asks; used by POST and by create-on-update. */
  async createObject(
    req: ResourceRequest,
    obj: KubeObject,
    options: {
      dryRun: boolean;
      warnings: string[];
      /** The object's managedFields are already computed (a create by server-side apply). */
      applied?: boolean;
    },
  ): Promise<Response> {
    const { def } = req;
    const meta = obj.metadata ??= {};
    const sentManagedFields = !options.applied && (meta.managedFields?.length ?? 0) > 0;
    const manager = this.#writeManager(req, "CreateOptions");
    const onDefaulted = options.applied || def.ephemeral
      ? undefined
      : (o: KubeObject) => this.#recordWrite(req, { live: null, obj: o, manager, subresource: "" });
    if (meta.resourceVersion) {
      throw ApiError.badRequest("resourceVersion should not be set on objects to be created");
    }
    if (def.namespaced) {
      if (meta.namespace && meta.namespace !== req.info.namespace) {
        throw ApiError.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      if (!req.info.namespace) throw ApiError.pathNotFound();
    }
    const wantsGenerated = !meta.name && !!meta.generateName;
    // A retry under a new generated name starts again from the object as sent.
    const sent = wantsGenerated ? structuredClone(obj) : obj;
    prepareCreate(obj, {
      def,
      namespace: req.info.namespace,
      nowMs: this.#now(),
      ...(onDefaulted ? { onDefaulted } : {}),
    });
    for (let attempt = 0;; attempt++) {
      const attrs = this.#admissionAttrs(req, "CREATE", {
        object: obj,
        name: meta.name ?? "",
        dryRun: options.dryRun,
      });
      await this.#parts.admission.admit(attrs);
      const errs = validateCreate(obj, def);
      if (sentManagedFields) errs.push(...validateManagedFields(obj.metadata?.managedFields ?? []));
      if (errs.length > 0) {
        this.#parts.admission.committed(attrs, false);
        throw this.#invalid(req, meta.name ?? meta.generateName ?? "", errs);
      }
      const warnings = [...options.warnings, ...createWarnings(obj, def)];
      await this.#admitted(attrs, () => this.#parts.admission.validate(attrs));
      warnings.push(...attrs.warnings!);
      if (options.dryRun) {
        this.#parts.admission.committed(attrs, false);
        return this.#render(req, obj, 201, warnings);
      }
      const key = this.key(def, { namespace: req.info.namespace, name: meta.name! });
      try {
        const value = this.toStored(def, obj);
        // The views of this resource take the object as it is, not a decode of its bytes.
        if (!def.conversion) {
          this.#parts.views?.offer(storagePrefixOf(def), { key, value, object: obj });
        }
        const kv = await this.#parts.storage.create(key, value);
        this.#parts.admission.committed(attrs, true);
        obj.metadata!.resourceVersion = String(kv.modRevision);
        return this.#renderWritten(req, { obj, kv, status: 201, warnings });
      } catch (err) {
        this.#parts.admission.committed(attrs, false);
        if (err instanceof KeyExistsError) {
          if (wantsGenerated && attempt + 1 < GENERATE_NAME_ATTEMPTS) {
            resetObject(obj, sent);
            prepareCreate(obj, {
              def,
              namespace: req.info.namespace,
              nowMs: this.#now(),
              ...(onDefaulted ? { onDefaulted } : {}),
            });
            continue;
          }
          const e = ApiError.alreadyExists(def, meta.name!);
          if (wantsGenerated) {
            throw new ApiError(
              `${e.message}, the server was not able to generate a unique name for the object`,
              {
                code: 409,
                reason: "AlreadyExists",
                details: { ...e.details, retryAfterSeconds: 1 },
                headers: { "retry-after": "1" },
              },
            );
          }
          throw e;
        }
        throw mapStorageError(err, { group: def.group, resource: def.resource, name: meta.name! });
      }
    }
  }

  // --- update and patch ----------------------------------------------------------------------

  /** PUT of an object (main resource or status). */
  async update(req: ResourceRequest): Promise<Response> {
    const { def, query, info } = req;
    const dryRun = dryRunOf(query, "UpdateOptions");
    const manager = this.#writeManager(req, "UpdateOptions");
    const { object: obj, warnings } = decodeBody(await req.body(), {
      contentType: req.headers.get("content-type"),
      schema: def.schema,
      group: def.group,
      version: def.version,
      kind: def.kind,
      fieldValidation: fieldValidationOf(query, "UpdateOptions"),
      ...(this.#protobuf ? { protobuf: this.#protobuf } : {}),
    });
    const meta = obj.metadata ??= {};
    if ((meta.name ?? "") !== info.name) {
      throw ApiError.badRequest(
        `the name of the object (${
          meta.name ?? ""
        }) does not match the name on the URL (${info.name})`,
      );
    }
    if (def.namespaced && meta.namespace && meta.namespace !== info.namespace) {
      throw ApiError.badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    // A body without a namespace takes the URL's, as upstream's update does.
    if (def.namespaced && !meta.namespace) meta.namespace = info.namespace;
    const expected = meta.resourceVersion
      ? parseRevision(meta.resourceVersion, "metadata.resourceVersion")
      : null;
    if (!(await this.#read(req, info.name))) {
      if (def.allowCreateOnUpdate && info.subresource === "") {
        delete obj.metadata!.resourceVersion;
        return await this.createObject(req, obj, { dryRun, warnings });
      }
      throw ApiError.notFound(def, info.name);
    }
    return await this.#writeUpdate(req, () => structuredClone(obj), {
      expected,
      dryRun,
      warnings,
      manager,
    });
  }

  /** PATCH of an object (main resource or status). */
  async patch(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    const dryRun = dryRunOf(query, "PatchOptions");
    const fieldValidation = fieldValidationOf(query, "PatchOptions");
    const contentType = req.headers.get("content-type") ?? "";
    const type = parsePatchType(contentType);
    const accepted = def.custom ? CUSTOM_RESOURCE_PATCH_MEDIA_TYPES : BUILT_IN_PATCH_MEDIA_TYPES;
    // A custom resource has no Go struct tags for a strategic merge patch to follow.
    if (type === null || (type === "strategic" && def.custom)) {
      throw ApiError.unsupportedMediaType(contentType, accepted);
    }
    if (type === "apply") return await this.#apply(req, { dryRun, fieldValidation });
    if (query.has("force")) {
      throw invalidOptions("PatchOptions", [
        forbidden("force", "may not be specified for non-apply patch"),
      ]);
    }
    const manager = this.#writeManager(req, "PatchOptions");
    const text = new TextDecoder().decode(await req.body());
    let patch: unknown;
    // Duplicate keys in the patch body itself count as strict errors, as upstream.
    let patchStrict: string[] = [];
    try {
      const parsedPatch = parseJsonBody(text);
      patch = parsedPatch.value;
      patchStrict = parsedPatch.duplicates.map((d) =>
        type === "json"
          ? `json patch duplicate field ${JSON.stringify(d)}`
          : `duplicate field ${JSON.stringify(d)}`
      );
    } catch (err) {
      throw ApiError.badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    if (type !== "json" && !isJsonObject(patch)) {
      throw ApiError.badRequest("error decoding patch: the patch must be a JSON object");
    }
    // A resourceVersion in the patch is a precondition (merge and strategic patches).
    const patchRv = type !== "json" && isJsonObject(patch) && isJsonObject(patch.metadata)
      ? patch.metadata.resourceVersion
      : undefined;
    const expected = typeof patchRv === "string" && patchRv !== ""
      ? parseRevision(patchRv, "metadata.resourceVersion")
      : null;
    const warnings: string[] = [];
    return await this.#writeUpdate(req, (current) => {
      let patched: unknown;
      try {
        patched = type === "json"
          ? applyJsonPatch(current, patch)
          : type === "merge"
          ? applyMergePatch(current, patch)
          : applyStrategicMergePatch(current, { patch, schema: def.schema });
      } catch (err) {
        if (err instanceof PatchError) {
          throw new ApiError(err.message, { code: err.code, reason: err.reason as never });
        }
        throw err;
      }
      if (!isJsonObject(patched)) {
        throw ApiError.badRequest("the patched object is not a JSON object");
      }
      const gv = groupVersion(def);
      if ((patched.apiVersion ?? gv) !== gv || (patched.kind ?? def.kind) !== def.kind) {
        throw ApiError.badRequest(
          `the API version in the data (${
            String(patched.apiVersion)
          }) does not match the expected API version (${gv})`,
        );
      }
      const decoded = decodeObject(def.schema, {
        fieldValidation,
        value: patched,
        sortKeys: type === "merge",
      });
      const prefix = `${def.kind} in version ${
        JSON.stringify(def.version)
      } cannot be handled as a ${def.kind}`;
      if (decoded.errors.length > 0) throw ApiError.badRequest(`${prefix}: ${decoded.errors[0]}`);
      if (
        fieldValidation === "Strict" && (decoded.strictErrors.length > 0 || patchStrict.length > 0)
      ) {
        throw ApiError.badRequest(
          `${prefix}: ${formatStrictErrors([...patchStrict, ...decoded.strictErrors])}`,
        );
      }
      if (warnings.length === 0) {
        warnings.push(
          ...patchStrict.length && fieldValidation === "Warn" ? patchStrict : [],
          ...decoded.warnings,
        );
      }
      const obj = decoded.object as KubeObject;
      obj.apiVersion = gv;
      obj.kind = def.kind;
      const m = obj.metadata ??= {};
      if ((m.name ?? "") !== req.info.name) {
        throw ApiError.badRequest(
          `the name of the object (${
            m.name ?? ""
          }) does not match the name on the URL (${req.info.name})`,
        );
      }
      return obj;
    }, { expected, dryRun, warnings, manager });
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`): merges the configuration by field
   * ownership, creating the object when it does not exist (201).
   */
  async #apply(
    req: ResourceRequest,
    o: { dryRun: boolean; fieldValidation: "Strict" | "Warn" | "Ignore" },
  ): Promise<Response> {
    const { def, query, info } = req;
    const manager = query.get("fieldManager") ?? "";
    const optionErrors: FieldError[] = [];
    if (manager === "") optionErrors.push(required("fieldManager", "is required for apply patch"));
    optionErrors.push(...validateFieldManager(manager, "fieldManager"));
    if (optionErrors.length > 0) throw invalidOptions("PatchOptions", optionErrors);
    const force = queryBool(query.get("force"));
    const text = new TextDecoder().decode(await req.body());
    let config: Record<string, unknown>;
    let yamlErrors: readonly string[];
    try {
      const parsed = parseYamlBody(text);
      if (parsed.value !== null && parsed.value !== undefined && !isJsonObject(parsed.value)) {
        throw new TypeError(
          "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal " +
            `${
              Array.isArray(parsed.value) ? "array" : typeof parsed.value
            } into Go value of type map[string]interface {}`,
        );
      }
      config = isJsonObject(parsed.value) ? parsed.value : {};
      yamlErrors = parsed.yamlErrors;
    } catch (err) {
      throw ApiError.badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
    const warnings: string[] = [];
    /** Upstream checks duplicate keys once the apply itself went through. */
    const checkStrict = () => {
      if (yamlErrors.length === 0 || o.fieldValidation === "Ignore") return;
      const detail = `error converting YAML to JSON: yaml: unmarshal errors:\n${
        yamlErrors.map((e) => `  ${e}`).join("\n")
      }`;
      if (o.fieldValidation === "Strict") {
        throw ApiError.badRequest(`error strict decoding YAML: ${detail}`);
      }
      if (warnings.length === 0) warnings.push(...yamlErrors);
    };
    const fm = this.#fieldManager(def, info.subresource === "status" ? "status" : "");
    const applyOptions = { manager, force, nowMs: this.#now() };
    const finish = (merged: KubeObject): KubeObject => {
      checkStrict();
      const decoded = decodeObject(def.schema, { fieldValidation: "Ignore", value: merged });
      if (decoded.errors.length > 0) {
        throw ApiError.badRequest(
          `${def.kind} in version ${
            JSON.stringify(def.version)
          } cannot be handled as a ${def.kind}: ${decoded.errors[0]}`,
        );
      }
      const obj = decoded.object as KubeObject;
      obj.apiVersion = groupVersion(def);
      obj.kind = def.kind;
      const m = obj.metadata ??= {};
      // An empty list keeps prepareUpdate from carrying the old entries over.
      m.managedFields ??= [];
      if ((m.name ?? "") !== info.name) {
        throw ApiError.badRequest(
          `the name of the object (${
            m.name ?? ""
          }) does not match the name on the URL (${info.name})`,
        );
      }
      if (def.namespaced && m.namespace && m.namespace !== info.namespace) {
        throw ApiError.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      return obj;
    };
    const meta = configMetadata(config);
    const rv = meta?.resourceVersion;
    const expected = typeof rv === "string" && rv !== ""
      ? parseRevision(rv, "metadata.resourceVersion")
      : null;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (info.subresource === "" && !(await this.#read(req, info.name))) {
        if (typeof meta?.uid === "string" && meta.uid !== "") {
          throw ApiError.conflict(def, {
            name: info.name,
            detail:
              `uid mismatch: the provided object specified uid ${meta.uid}, and no existing object was found`,
          });
        }
        const obj = finish(fm.apply(null, config, applyOptions));
        if (obj.metadata?.managedFields?.length === 0) delete obj.metadata.managedFields;
        try {
          return await this.createObject(req, obj, {
            dryRun: o.dryRun,
            warnings,
            applied: true,
          });
        } catch (err) {
          // Created meanwhile: apply to what is there now.
          if (err instanceof ApiError && err.reason === "AlreadyExists" && attempt === 0) continue;
          throw err;
        }
      }
      return await this.#writeUpdate(
        req,
        (current) => finish(fm.apply(current, config, applyOptions)),
        { expected, dryRun: o.dryRun, warnings, manager, applied: true },
      );
    }
    throw ApiError.modified(def, info.name);
  }

  /**
   * The update loop shared by PUT and PATCH: read, compute the new object from the current
   * one, check the resourceVersion precondition, prepare, validate, admit, and write guarded by
   * the read revision — retrying on a conflict unless the client named a resourceVersion.
   */
  async #writeUpdate(
    req: ResourceRequest,
    compute: (current: KubeObject) => KubeObject,
    options: {
      expected: number | null;
      dryRun: boolean;
      warnings: string[];
      /** Who the write is recorded for in managedFields. */
      manager: string;
      /** `compute` is a server-side apply, which computes managedFields itself. */
      applied?: boolean;
    },
  ): Promise<Response> {
    const { def, info } = req;
    const subresource = info.subresource === "status" ? "status" : "";
    const ctx = { group: def.group, resource: def.resource, name: info.name };
    for (let attempt = 0; attempt < 16; attempt++) {
      const { kv, obj: old } = await this.getExisting(req);
      if (options.expected !== null && options.expected !== kv.modRevision) {
        throw ApiError.modified(def, info.name);
      }
      const obj = compute(structuredClone(old));
      prepareUpdate(obj, {
        def,
        old,
        subresource,
        ...(options.applied ? {} : {
          onDefaulted: (o: KubeObject) =>
            this.#recordWrite(req, { live: old, obj: o, manager: options.manager, subresource }),
        }),
      });
      if (options.applied && obj.metadata?.managedFields?.length === 0) {
        delete obj.metadata.managedFields;
      }
      ignoreManagedFieldsTimestamps(obj, old);
      // The client's resourceVersion was checked; what is written is the read revision's.
      obj.metadata!.resourceVersion = String(kv.modRevision);
      const attrs = this.#admissionAttrs(req, "UPDATE", {
        object: obj,
        oldObject: old,
        dryRun: options.dryRun,
      });
      await this.#parts.admission.admit(attrs);
      const errs = validateUpdate(obj, { def, old, subresource });
      if (obj.metadata?.managedFields !== old.metadata?.managedFields) {
        errs.push(...validateManagedFields(obj.metadata?.managedFields ?? []));
      }
      if (errs.length > 0) {
        this.#parts.admission.committed(attrs, false);
        throw this.#invalid(req, info.name, errs);
      }
      const warnings = [...options.warnings, ...updateWarnings(obj, { def, old, subresource })];
      await this.#admitted(attrs, () => this.#parts.admission.validate(attrs));
      warnings.push(...attrs.warnings!);
      if (sameObject(obj, old)) {
        this.#parts.admission.committed(attrs, false);
        return this.#render(req, old, 200, warnings);
      }
      // Removing the last finalizer of an object being deleted deletes it.
      // Only without a grace period still running (a terminating pod is removed by its
      // node's final delete, not by losing its last finalizer).
      const finalized = !!obj.metadata?.deletionTimestamp &&
        (obj.metadata.finalizers ?? []).length === 0 &&
        (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0 &&
        !this.#hasPendingNamespaceFinalizers(def, obj);
      if (options.dryRun) {
        this.#parts.admission.committed(attrs, false);
        return this.#render(req, obj, 200, warnings);
      }
      const key = this.key(def, { namespace: info.namespace, name: info.name });
      try {
        if (finalized) {
          const deleted = await this.#parts.storage.delete(key, kv.modRevision);
          this.#parts.admission.committed(attrs, true);
          obj.metadata!.resourceVersion = String(deleted.modRevision);
          return this.#render(req, obj, 200, warnings);
        }
        const written = await this.#parts.storage.update(
          key,
          this.toStored(def, obj),
          kv.modRevision,
        );
        this.#parts.admission.committed(attrs, true);
        obj.metadata!.resourceVersion = String(written.modRevision);
        return this.#renderWritten(req, { obj, kv: written, status: 200, warnings });
      } catch (err) {
        this.#parts.admission.committed(attrs, false);
        if (err instanceof ConflictError && options.expected === null) continue;
        if (err instanceof ConflictError) throw ApiError.modified(def, info.name);
        if (err instanceof KeyNotFoundError) throw ApiError.notFound(def, info.name);
        throw mapStorageError(err, ctx);
      }
    }
    throw ApiError.modified(def, info.name);
  }

  #hasPendingNamespaceFinalizers(def: ResourceDef, obj: KubeObject): boolean {
    if (def.group !== "" || def.resource !== "namespaces") return false;
    const spec = obj.spec as { finalizers?: string[] } | undefined;
    return (spec?.finalizers ?? []).length > 0;
  }

  // --- delete --------------------------------------------------------------------------------

  /** Reads DeleteOptions from the body (if any) and the query, as kube-apiserver does. */
  async deleteOptions(req: ResourceRequest): Promise<DeleteOptions> {
    let opts: DeleteOptions = {};
    const bytes = await req.body();
    if (bytes.length > 0 && new TextDecoder().decode(bytes.subarray(0, 64)).trim() !== "") {
      // Typed clients (kubectl 1.32+ drain --disable-eviction, helm 3.17+) send protobuf.
      const { object } = decodeBody(bytes, {
        contentType: req.headers.get("content-type"),
        schema: DeleteOptionsSchema,
        group: "",
        version: "v1",
        kind: "DeleteOptions",
        fieldValidation: "Ignore",
        anyGroupVersion: true,
        ...(this.#protobuf ? { protobuf: this.#protobuf } : {}),
      });
      const { apiVersion: _a, kind: _k, ...rest } = object;
      opts = rest as DeleteOptions;
    }
    const q = req.query;
    const grace = parseIntParam(q.get("gracePeriodSeconds"), "gracePeriodSeconds");
    if (grace !== null) opts = { ...opts, gracePeriodSeconds: grace };
    const policy = q.get("propagationPolicy");
    if (policy) {
      opts = { ...opts, propagationPolicy: policy as DeleteOptions["propagationPolicy"] & string };
    }
    const orphan = q.get("orphanDependents");
    if (orphan !== null) opts = { ...opts, orphanDependents: orphan === "true" };
    if (dryRunOf(q, "DeleteOptions")) opts = { ...opts, dryRun: ["All"] };
    const p = opts.propagationPolicy;
    if (p !== undefined && p !== "Orphan" && p !== "Background" && p !== "Foreground") {
      throw ApiError.invalid({ group: "meta.k8s.io", kind: "DeleteOptions" }, {
        name: "",
        errors: [
          notSupported("propagationPolicy", {
            value: p,
            supported: ["Foreground", "Background", "Orphan", "nil"],
          }),
        ],
      });
    }
    if (opts.orphanDependents !== undefined && p !== undefined) {
      throw ApiError.invalid({ group: "meta.k8s.io", kind: "DeleteOptions" }, {
        name: "",
        errors: [
          forbidden(
            "propagationPolicy",
            "orphanDependents and deletionPropagation cannot be both set",
          ),
        ],
      });
    }
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) {
      opts = { ...opts, gracePeriodSeconds: 1 };
    }
    for (const d of opts.dryRun ?? []) {
      if (d !== "All") {
        throw ApiError.badRequest(
          `Invalid dryRun value ${JSON.stringify(d)}: only "All" is supported`,
        );
      }
    }
    return opts;
  }

  /** DELETE of one object. */
  async delete(req: ResourceRequest): Promise<Response> {
    const opts = await this.deleteOptions(req);
    const result = await this.deleteOne(req, req.info.name, opts);
    if (result.obj && (result.pending || this.#returnsDeletedObject(req.def))) {
      return this.#render(req, result.obj, 200);
    }
    return renderSuccess({
      name: req.info.name,
      group: req.def.group,
      kind: req.def.resource,
      uid: result.obj?.metadata?.uid ?? "",
    }, {});
  }

  #returnsDeletedObject(def: ResourceDef): boolean {
    return def.group === "" &&
      (def.resource === "pods" || def.resource === "namespaces" || def.resource === "services");
  }

  /**
   * Deletes one object by name: preconditions, admission, graceful deletion, finalizers and
   * propagation policy. `pending` means the object still exists (deletionTimestamp set).
   */
  async deleteOne(
    req: ResourceRequest,
    name: string,
    opts: DeleteOptions,
  ): Promise<{ obj: KubeObject | undefined; pending: boolean }> {
    const { def } = req;
    const dryRun = (opts.dryRun ?? []).includes("All");
    const key = this.key(def, { namespace: req.info.namespace, name });
    const ctx = { group: def.group, resource: def.resource, name };
    for (let attempt = 0; attempt < 16; attempt++) {
      let kv: KeyValue | null;
      try {
        kv = await this.#parts.storage.get(key);
      } catch (err) {
        throw mapStorageError(err, ctx);
      }
      if (kv === null) throw ApiError.notFound(def, name);
      const old = this.fromStored(def, kv);
      const meta = old.metadata ?? {};
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw ApiError.conflict(def, {
          name,
          detail: `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${
            meta.uid ?? ""
          }`,
        });
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw ApiError.conflict(def, {
          name,
          detail:
            `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${
              meta.resourceVersion ?? ""
            }`,
        });
      }
      const attrs = this.#admissionAttrs(req, "DELETE", { oldObject: old, name, dryRun });
      await this.#parts.admission.run(attrs);

      const next = structuredClone(old);
      const nm = next.metadata ??= {};
      const finalizers = new Set(nm.finalizers ?? []);
      // An explicit policy wins; then an orphan/foregroundDeletion finalizer already there;
      // then the kind's default (upstream `shouldOrphanDependents`).
      const policy = opts.propagationPolicy ??
        (opts.orphanDependents === true
          ? "Orphan"
          : opts.orphanDependents === false
          ? "Background"
          : def.defaultGarbageCollectionPolicy === "OrphanDependents" &&
              !finalizers.has("orphan") && !finalizers.has("foregroundDeletion")
          ? "Orphan"
          : undefined);
      if (policy === "Foreground") {
        finalizers.delete("orphan");
        finalizers.add("foregroundDeletion");
      } else if (policy === "Orphan") {
        finalizers.delete("foregroundDeletion");
        finalizers.add("orphan");
      } else if (policy === "Background") {
        // An explicit Background overrides an earlier Foreground or Orphan delete.
        finalizers.delete("foregroundDeletion");
        finalizers.delete("orphan");
      }
      const grace = this.#gracePeriod(def, old, opts);
      const namespaceFinalizing = def.group === "" && def.resource === "namespaces" &&
        ((next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
      const keepObject = finalizers.size > 0 || grace > 0 || namespaceFinalizing;
      if (keepObject) {
        const nowMs = this.#now();
        if (!nm.deletionTimestamp) {
          nm.deletionTimestamp = rfc3339(nowMs + grace * 1000);
          nm.deletionGracePeriodSeconds = grace;
          // Setting deletionTimestamp is a change of the desired state (upstream BeforeDelete).
          if (def.tracksGeneration) nm.generation = (nm.generation ?? 0) + 1;
        } else if (grace < (nm.deletionGracePeriodSeconds ?? Infinity)) {
          // A shorter grace period moves the deadline closer; a longer one never extends it.
          nm.deletionTimestamp = rfc3339(nowMs + grace * 1000);
          nm.deletionGracePeriodSeconds = grace;
        }
        if (finalizers.size > 0) nm.finalizers = [...finalizers];
        if (def.group === "" && def.resource === "namespaces") {
          next.status = { ...(next.status as Record<string, unknown> ?? {}), phase: "Terminating" };
        }
        if (sameObject(next, old) || dryRun) {
          return { obj: dryRun ? next : old, pending: true };
        }
        try {
          const written = await this.#parts.storage.update(
            key,
            this.toStored(def, next),
            kv.modRevision,
          );
          nm.resourceVersion = String(written.modRevision);
          // Not committed as a delete: the object stays until its finalizers are gone.
          return { obj: next, pending: true };
        } catch (err) {
          if (err instanceof ConflictError) continue;
          if (err instanceof KeyNotFoundError) throw ApiError.notFound(def, name);
          throw mapStorageError(err, ctx);
        }
      }
      if (dryRun) return { obj: old, pending: false };
      try {
        const deleted = await this.#parts.storage.delete(key, kv.modRevision);
        this.#parts.admission.committed(attrs, true);
        const out = this.fromStored(def, deleted);
        return { obj: out, pending: false };
      } catch (err) {
        if (err instanceof ConflictError) continue;
        if (err instanceof KeyNotFoundError) throw ApiError.notFound(def, name);
        throw mapStorageError(err, ctx);
      }
    }
    throw ApiError.modified(def, name);
  }

  /** The grace period a delete gets: only pods on a node wait, as the pod strategy decides. */
  #gracePeriod(def: ResourceDef, obj: KubeObject, opts: DeleteOptions): number {
    if (def.group !== "" || def.resource !== "pods") return 0;
    const spec = obj.spec as
      | { nodeName?: string; terminationGracePeriodSeconds?: number }
      | undefined;
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    if (!spec?.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
    return opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  }

  /** DELETE of a collection: every object the selectors match. */
  async deleteCollection(req: ResourceRequest): Promise<Response> {
    const { def } = req;
    const selectors = parseSelectors(def, req.query);
    const opts = await this.deleteOptions(req);
    const prefix = listPrefix(this.layout(def), req.info.namespace);
    const attrs = attrsOf(def);
    let page;
    try {
      page = await this.#parts.storage.list(prefix);
    } catch (err) {
      throw mapStorageError(err, { group: def.group, resource: def.resource, name: "" });
    }
    const deleted: ListItem[] = [];
    for (const kv of page.items) {
      const obj = this.fromStored(def, kv);
      if (!selects(selectors, attrs(obj))) continue;
      const sub: ResourceRequest = {
        ...req,
        info: {
          ...req.info,
          namespace: obj.metadata?.namespace ?? "",
          name: obj.metadata?.name ?? "",
        },
      };
      try {
        const res = await this.deleteOne(sub, obj.metadata?.name ?? "", opts);
        if (res.obj) deleted.push({ json: JSON.stringify(res.obj), obj: res.obj });
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return renderList(deleted, {
      meta: { resourceVersion: String(page.revision) },
      def,
      output: req.output,
      query: req.query,
      nowMs: this.#now(),
    });
  }

  /** Used by subresource handlers: guaranteed update of the stored object. */
  async mutateStored(
    req: ResourceRequest,
    mutate: (obj: KubeObject) => KubeObject | null,
  ): Promise<KubeObject> {
    const { def, info } = req;
    const key = this.key(def, { namespace: info.namespace, name: info.name });
    const tracked = TRACKED_SUBRESOURCES.has(info.subresource) &&
      (req.method === "PUT" || req.method === "PATCH");
    const manager = tracked
      ? this.#writeManager(req, req.method === "PATCH" ? "PatchOptions" : "UpdateOptions")
      : "";
    let out: KubeObject | undefined;
    try {
      const kv = await guaranteedUpdate(this.#parts.storage, {
        key,
        tryUpdate: (current) => {
          if (current === null) throw new KeyNotFoundError(key);
          const obj = this.fromStored(def, current);
          const next = mutate(obj);
          if (next === null) {
            out = obj;
            return null;
          }
          if (tracked) {
            this.#recordWrite(req, {
              live: obj,
              obj: next,
              manager,
              subresource: info.subresource,
            });
          }
          out = next;
          return this.toStored(def, next);
        },
      });
      if (kv && out) out.metadata!.resourceVersion = String(kv.modRevision);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof KeyNotFoundError) throw ApiError.notFound(def, info.name);
      throw mapStorageError(err, { group: def.group, resource: def.resource, name: info.name });
    }
    return out!;
  }
}
