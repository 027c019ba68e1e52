/**
 * Subresources: `status` (the generic spec/status split), `scale` (autoscaling/v1 Scale over
 * a kind's replicas), `pods/binding` (the scheduler's bind), `pods/eviction` (drain, honouring
 * PodDisruptionBudgets) and `namespaces/finalize`.
 *
 * @module
 */
import { applyJsonPatch } from "../patch/json_patch.ts";
import { applyMergePatch } from "../patch/merge_patch.ts";
import { PatchError } from "../patch/patch_error.ts";
import { parsePatchType } from "../patch/patch_type.ts";
import { parseJsonBody } from "../codec/json_body.ts";
import { ApiError } from "../errors.ts";
import type { ResourceDef, ScaleSubresource } from "../registry/resource_def.ts";
import { fromLabelSelectorObject } from "../selectors/label_selector.ts";
import type { DeleteOptions, KubeObject } from "../types/meta_v1.ts";
import { isJsonObject } from "../util/json_value.ts";
import { invalid } from "../validation/field_errors.ts";
import type { ResourceRequest, ServerParts } from "./context.ts";
import { dryRunOf } from "./decode_body.ts";
import { renderObject, renderSuccess } from "./render.ts";
import type { RestHandler } from "./rest_handler.ts";

const SUB_VERBS: Record<string, string> = { GET: "get", PUT: "update", PATCH: "patch" };

function readPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.replace(/^\./, "").split(".")) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, "").split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isJsonObject(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts.at(-1)!] = value;
}

/** The Scale view of an object. */
export function scaleOf(obj: KubeObject, scale: ScaleSubresource): KubeObject {
  const meta = obj.metadata ?? {};
  let selector = "";
  if (scale.labelSelectorPath === "spec.selector" || scale.labelSelectorPath === undefined) {
    const sel = readPath(obj, ".spec.selector");
    if (isJsonObject(sel)) selector = fromLabelSelectorObject(sel)?.toString() ?? "";
  } else {
    const v = readPath(obj, scale.labelSelectorPath);
    if (typeof v === "string") selector = v;
  }
  const replicas = readPath(obj, scale.specReplicasPath);
  const statusReplicas = readPath(obj, scale.statusReplicasPath);
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: meta.name ?? "",
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      uid: meta.uid ?? "",
      resourceVersion: meta.resourceVersion ?? "",
      creationTimestamp: meta.creationTimestamp ?? "",
    },
    spec: typeof replicas === "number" ? { replicas } : {},
    status: {
      replicas: typeof statusReplicas === "number" ? statusReplicas : 0,
      ...(selector ? { selector } : {}),
    },
  };
}

/** Options of {@linkcode SubresourceHandlers}. */
export interface SubresourceHandlersOptions {
  readonly parts: ServerParts;
  readonly rest: RestHandler;
}

/** Dispatches subresource requests. */
export class SubresourceHandlers {
  readonly #parts: ServerParts;
  readonly #rest: RestHandler;

  constructor(options: SubresourceHandlersOptions) {
    this.#parts = options.parts;
    this.#rest = options.rest;
  }

  #render(req: ResourceRequest, obj: KubeObject, status = 200): Response {
    return renderObject(obj, {
      def: req.def,
      output: req.output,
      query: req.query,
      nowMs: this.#parts.clock.now(),
      status,
    });
  }

  /** Answers `req` (whose subresource is set), or 404. */
  async handle(req: ResourceRequest): Promise<Response> {
    const { def, info } = req;
    const sub = info.subresource;
    const verb = SUB_VERBS[req.method] ?? (req.method === "POST" ? "create" : "");
    if (sub === "status" && def.statusSubresource) {
      if (verb === "get") return await this.#rest.get(req);
      if (verb === "update") return await this.#rest.update(req);
      if (verb === "patch") return await this.#rest.patch(req);
      throw ApiError.methodNotSupported(def, verb || req.method.toLowerCase());
    }
    if (sub === "scale" && def.scale) return await this.#scale(req, def.scale, verb);
    if (def.group === "" && def.resource === "pods") {
      if (sub === "binding" && verb === "create") return await this.#bind(req);
      if (sub === "eviction" && verb === "create") return await this.#evict(req);
    }
    if (def.group === "" && def.resource === "namespaces" && sub === "finalize") {
      if (verb === "update") return await this.#finalize(req);
      throw ApiError.methodNotSupported(def, verb || req.method.toLowerCase());
    }
    throw ApiError.pathNotFound();
  }

  async #scale(req: ResourceRequest, scale: ScaleSubresource, verb: string): Promise<Response> {
    const { def } = req;
    const scaleDef: ResourceDef = {
      ...req.def,
      kind: "Scale",
      group: "autoscaling",
      version: "v1",
    };
    const renderScale = (obj: KubeObject) =>
      renderObject(scaleOf(obj, scale), {
        def: scaleDef,
        output: req.output?.format === "table" ? { format: "json" } : req.output,
        query: req.query,
        nowMs: this.#parts.clock.now(),
      });
    if (verb === "get") return renderScale((await this.#rest.getExisting(req)).obj);
    if (verb !== "update" && verb !== "patch") throw ApiError.methodNotSupported(def, verb);
    const dryRun = dryRunOf(req.query);
    const text = new TextDecoder().decode(await req.body());
    let input: unknown;
    try {
      input = parseJsonBody(text).value;
    } catch (err) {
      throw ApiError.badRequest(`error decoding Scale: ${(err as Error).message}`);
    }
    const patchType = verb === "patch"
      ? parsePatchType(req.headers.get("content-type") ?? "")
      : null;
    if (verb === "patch" && (patchType === null || patchType === "apply")) {
      throw ApiError.unsupportedMediaType(req.headers.get("content-type") ?? "", [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
      ]);
    }
    let result: KubeObject | undefined;
    const apply = (obj: KubeObject): KubeObject | null => {
      const current = scaleOf(obj, scale);
      let next: unknown;
      try {
        next = verb === "update"
          ? input
          : patchType === "json"
          ? applyJsonPatch(current, input)
          : applyMergePatch(current, input);
      } catch (err) {
        if (err instanceof PatchError) {
          throw new ApiError(err.message, { code: err.code, reason: err.reason as never });
        }
        throw err;
      }
      if (!isJsonObject(next)) throw ApiError.badRequest("the Scale must be a JSON object");
      const nextMeta = isJsonObject(next.metadata) ? next.metadata : {};
      const rv = nextMeta.resourceVersion;
      if (
        verb === "update" && typeof rv === "string" && rv !== "" &&
        rv !== obj.metadata?.resourceVersion
      ) {
        throw ApiError.modified(def, req.info.name);
      }
      const replicas = isJsonObject(next.spec) ? next.spec.replicas : undefined;
      if (replicas !== undefined && (typeof replicas !== "number" || !Number.isInteger(replicas))) {
        throw ApiError.badRequest(
          `Scale in version "v1" cannot be handled as a Scale: spec.replicas must be an integer`,
        );
      }
      if (typeof replicas === "number" && replicas < 0) {
        throw ApiError.invalid({ group: "autoscaling", kind: "Scale" }, {
          name: req.info.name,
          errors: [
            invalid("spec.replicas", {
              value: replicas,
              detail: "must be greater than or equal to 0",
            }),
          ],
        });
      }
      const desired = replicas ?? 0;
      if (readPath(obj, scale.specReplicasPath) === desired) {
        result = obj;
        return null;
      }
      const out = structuredClone(obj);
      writePath(out as Record<string, unknown>, scale.specReplicasPath, desired);
      if (def.tracksGeneration) out.metadata!.generation = (out.metadata?.generation ?? 1) + 1;
      result = out;
      return dryRun ? null : out;
    };
    const written = await this.#rest.mutateStored(req, apply);
    return renderScale(dryRun ? result! : written);
  }

  async #bind(req: ResourceRequest): Promise<Response> {
    const text = new TextDecoder().decode(await req.body());
    let binding: unknown;
    try {
      binding = parseJsonBody(text).value;
    } catch (err) {
      throw ApiError.badRequest(`error decoding Binding: ${(err as Error).message}`);
    }
    const target = isJsonObject(binding) && isJsonObject(binding.target) ? binding.target : null;
    const node = target && typeof target.name === "string" ? target.name : "";
    if (!node) {
      throw ApiError.invalid({ group: "", kind: "Binding" }, {
        name: req.info.name,
        errors: [invalid("target.name", { value: node, detail: "must not be empty" })],
      });
    }
    if (target && target.kind !== undefined && target.kind !== "" && target.kind !== "Node") {
      throw ApiError.invalid({ group: "", kind: "Binding" }, {
        name: req.info.name,
        errors: [invalid("target.kind", { value: target.kind, detail: "must be empty or 'Node'" })],
      });
    }
    const dryRun = dryRunOf(req.query);
    await this.#rest.mutateStored(req, (pod) => {
      const spec = (pod.spec ??= {}) as { nodeName?: string };
      if (pod.metadata?.deletionTimestamp) {
        throw ApiError.conflict({ group: "", resource: "pods/binding" }, {
          name: req.info.name,
          detail: `pod ${req.info.name} is being deleted, cannot be assigned to a host`,
        });
      }
      if (spec.nodeName) {
        throw ApiError.conflict({ group: "", resource: "pods/binding" }, {
          name: req.info.name,
          detail: `pod ${req.info.name} is already assigned to node ${
            JSON.stringify(spec.nodeName)
          }`,
        });
      }
      if (dryRun) return null;
      const next = structuredClone(pod);
      (next.spec as { nodeName?: string }).nodeName = node;
      const status = (next.status ??= {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
      conditions.push({
        type: "PodScheduled",
        status: "True",
        lastProbeTime: null,
        lastTransitionTime: new Date(Math.floor(this.#parts.clock.now() / 1000) * 1000)
          .toISOString().replace(".000Z", "Z"),
      });
      status.conditions = conditions;
      return next;
    });
    return renderSuccess({}, { status: 201 });
  }

  async #evict(req: ResourceRequest): Promise<Response> {
    const text = new TextDecoder().decode(await req.body());
    let eviction: Record<string, unknown> = {};
    if (text.trim() !== "") {
      try {
        const v = parseJsonBody(text).value;
        if (isJsonObject(v)) eviction = v;
      } catch (err) {
        throw ApiError.badRequest(`error decoding Eviction: ${(err as Error).message}`);
      }
    }
    const { obj: pod } = await this.#rest.getExisting(req);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    // Terminal or not-yet-running pods are not protected by budgets.
    if (phase !== "Succeeded" && phase !== "Failed" && phase !== "Pending") {
      await this.#checkBudgets(req, pod);
    }
    const opts =
      (isJsonObject(eviction.deleteOptions) ? eviction.deleteOptions : {}) as DeleteOptions;
    await this.#rest.deleteOne(req, req.info.name, opts);
    return renderSuccess({}, { status: 201 });
  }

  /** Refuses an eviction that a PodDisruptionBudget forbids (429, as kube-apiserver). */
  async #checkBudgets(req: ResourceRequest, pod: KubeObject): Promise<void> {
    const pdbDef = this.#parts.registry().get("policy", "v1", "poddisruptionbudgets");
    if (!pdbDef) return;
    const prefix = `${this.#rest.layout(pdbDef).prefix}${req.info.namespace}/`;
    const page = await this.#parts.storage.list(prefix);
    const labels = pod.metadata?.labels ?? {};
    const matching = page.items
      .map((kv) => this.#rest.fromStored(pdbDef, kv))
      .filter((pdb) => {
        const sel = fromLabelSelectorObject(
          (pdb.spec as { selector?: never } | undefined)?.selector,
        );
        return sel !== null && !sel.empty && sel.matches(labels);
      });
    if (matching.length > 1) {
      throw new ApiError(
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
        {
          code: 500,
          reason: "InternalError",
        },
      );
    }
    const pdb = matching[0];
    if (!pdb) return;
    const status = (pdb.status ?? {}) as {
      disruptionsAllowed?: number;
      observedGeneration?: number;
    };
    if ((status.disruptionsAllowed ?? 0) <= 0) {
      throw ApiError.tooManyRequests(
        "Cannot evict pod as it would violate the pod's disruption budget.",
        10,
      );
    }
  }

  async #finalize(req: ResourceRequest): Promise<Response> {
    const text = new TextDecoder().decode(await req.body());
    let body: unknown;
    try {
      body = parseJsonBody(text).value;
    } catch (err) {
      throw ApiError.badRequest(`error decoding Namespace: ${(err as Error).message}`);
    }
    const finalizers =
      isJsonObject(body) && isJsonObject(body.spec) && Array.isArray(body.spec.finalizers)
        ? body.spec.finalizers.filter((f): f is string => typeof f === "string")
        : [];
    let removed = false;
    const out = await this.#rest.mutateStored(req, (ns) => {
      const next = structuredClone(ns);
      next.spec = { ...(next.spec as Record<string, unknown> ?? {}), finalizers };
      if (finalizers.length === 0) delete (next.spec as Record<string, unknown>).finalizers;
      if (
        next.metadata?.deletionTimestamp && finalizers.length === 0 &&
        (next.metadata.finalizers ?? []).length === 0
      ) {
        removed = true;
      }
      return next;
    });
    if (removed) {
      await this.#rest.deleteOne(req, req.info.name, {});
    }
    return this.#render(req, out);
  }
}
