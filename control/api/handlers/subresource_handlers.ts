/**
 * Subresources: `status` (the generic spec/status split), `scale` (autoscaling/v1 Scale over
 * a kind's replicas), `pods/binding` (the scheduler's bind), `pods/eviction` (drain, honouring
 * PodDisruptionBudgets) and `namespaces/finalize`.
 *
 * @module
 */
import { ConflictError, KeyNotFoundError } from "../../storage/errors.ts";
import { formatTime as rfc3339 } from "../../util/k8s_time.ts";
import { guaranteedUpdate } from "../../storage/guaranteed_update.ts";
import { applyJsonPatch } from "../patch/json_patch.ts";
import { applyMergePatch } from "../patch/merge_patch.ts";
import { PatchError } from "../patch/patch_error.ts";
import { parsePatchType } from "../patch/patch_type.ts";
import { parseJsonBody } from "../codec/json_body.ts";
import { ApiError } from "../errors.ts";
import type { AdmissionAttributes } from "../admission/admission.ts";
import type { ResourceDef, ScaleSubresource } from "../registry/resource_def.ts";
import { fromLabelSelectorObject } from "../selectors/label_selector.ts";
import type { DeleteOptions, KubeObject } from "../types/meta_v1.ts";
import { isJsonObject } from "../util/json_value.ts";
import { invalid } from "../validation/field_errors.ts";
import type { ResourceRequest, ServerParts } from "./context.ts";
import { dryRunOf } from "./decode_body.ts";
import { validateUpdate } from "./object_lifecycle.ts";
import { API_HEADERS, renderObject } from "./render.ts";
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
    if (isJsonObject(sel) && Object.values(sel).every((v) => typeof v === "string")) {
      // A ReplicationController's selector is a label map (`labels.SelectorFromSet`).
      selector = Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join(",");
    } else if (isJsonObject(sel)) {
      selector = fromLabelSelectorObject(sel)?.toString() ?? "";
    }
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

/**
 * The answer of a binding or an eviction: a Success `Status` with code 201, as kube-apiserver
 * fills in the code of a `Status` a create returns.
 */
function createdStatus(): Response {
  return new Response(
    JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      code: 201,
    }),
    { status: 201, headers: { ...API_HEADERS, "content-type": "application/json" } },
  );
}

function isPodReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type?: string; status?: string }[] })
    ?.conditions ?? [];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

interface BudgetStatus {
  observedGeneration?: number;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  disruptedPods?: Record<string, string>;
  conditions?: Record<string, unknown>[];
}

/** 429 naming the budget, as upstream's eviction errors carry a `DisruptionBudget` cause. */
function budgetRefusal(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError("Cannot evict pod as it would violate the pod's disruption budget.", {
    code: 429,
    reason: "TooManyRequests",
    details: {
      ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
      causes: [{ reason: "DisruptionBudget", message }],
    },
    ...(retryAfterSeconds > 0 ? { headers: { "retry-after": String(retryAfterSeconds) } } : {}),
  });
}

/**
 * The budget after one more disruption, or the error refusing it (upstream's
 * `checkAndDecrement`): a budget its controller has not caught up with, a negative or zero
 * allowance, or too many evictions not yet confirmed.
 */
export function takeDisruption(
  pdb: KubeObject,
  options: { readonly pod: string; readonly nowMs: number },
): KubeObject {
  const name = pdb.metadata?.name ?? "";
  const status = (pdb.status ?? {}) as BudgetStatus;
  if ((status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
    throw budgetRefusal(
      `The disruption budget ${name} is still being processed by the server.`,
      10,
    );
  }
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) {
    throw ApiError.forbidden({ group: "policy", resource: "poddisruptionbudget" }, {
      name,
      detail: "pdb disruptions allowed is negative",
    });
  }
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw ApiError.forbidden({ group: "policy", resource: "poddisruptionbudget" }, {
      name,
      detail: "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
    });
  }
  if (allowed === 0) {
    throw budgetRefusal(
      `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${
        status.currentHealthy ?? 0
      } currently`,
      0,
    );
  }
  const next = structuredClone(pdb);
  const s = (next.status ??= {}) as BudgetStatus;
  s.disruptionsAllowed = allowed - 1;
  const now = rfc3339(options.nowMs);
  s.disruptedPods = { ...(s.disruptedPods ?? {}), [options.pod]: now };
  if (s.disruptionsAllowed === 0) {
    const conditions = s.conditions ?? [];
    const old = conditions.find((c) => c.type === "DisruptionAllowed");
    const condition = {
      type: "DisruptionAllowed",
      status: "False",
      observedGeneration: s.observedGeneration ?? 0,
      lastTransitionTime: old?.status === "False" ? old.lastTransitionTime : now,
      reason: "InsufficientPods",
      message: "",
    };
    // Replaced in place, as apimachinery's SetStatusCondition does.
    s.conditions = old
      ? conditions.map((c) => (c === old ? condition : c))
      : [...conditions, condition];
  }
  return next;
}

/** What the budget check decided for an eviction's delete. */
interface BudgetCheck {
  /** Delete only the pod version that was judged (no disruption was taken for it). */
  readonly precondition: boolean;
  /** The budget that judged it. */
  readonly budget?: string;
}

/**
 * The pod with the `DisruptionTarget` condition an eviction sets before deleting it (upstream's
 * reason and message), or `null` when it has it already.
 */
export function markEvicted(pod: KubeObject, nowMs: number): KubeObject | null {
  const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
  const conditions = status.conditions ?? [];
  const cur = conditions.find((c) => c.type === "DisruptionTarget");
  const reason = "EvictionByEvictionAPI";
  const message = "Eviction API: evicting";
  if (cur?.status === "True" && cur.reason === reason && cur.message === message) return null;
  const condition = {
    type: "DisruptionTarget",
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: cur?.status === "True" && cur.lastTransitionTime
      ? cur.lastTransitionTime
      : rfc3339(nowMs),
    reason,
    message,
  };
  const next = structuredClone(pod);
  next.status = {
    ...(next.status as Record<string, unknown> | undefined),
    conditions: cur
      ? conditions.map((c) => (c === cur ? condition : c))
      : [...conditions, condition],
  };
  return next;
}

/** Evictions a budget may have pending before its controller confirms them (upstream's). */
const MAX_DISRUPTED_PODS = 2000;

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
    const dryRun = dryRunOf(req.query, verb === "patch" ? "PatchOptions" : "UpdateOptions");
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
      // The scaled object passes its kind's update validation, as upstream's scale storage
      // updates through the parent's strategy (a custom resource's schema and CEL rules too).
      const errs = validateUpdate(out, { def, old: obj, subresource: "scale" });
      if (errs.length > 0) throw ApiError.invalid(def, { name: req.info.name, errors: errs });
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
    await this.#admitCreate(
      req,
      { apiVersion: "v1", kind: "Binding", ...binding as object },
      dryRun,
    );
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
        lastTransitionTime: rfc3339(this.#parts.clock.now()),
      });
      status.conditions = conditions;
      return next;
    });
    return createdStatus();
  }

  /**
   * Admits a create of a subresource's object (a Binding, an Eviction) as kube-apiserver does
   * for `pods/binding` and `pods/eviction`: a CREATE of the pod's subresource, the object the
   * request sent.
   */
  async #admitCreate(req: ResourceRequest, object: KubeObject, dryRun: boolean): Promise<void> {
    const attrs: AdmissionAttributes = {
      operation: "CREATE",
      def: req.def,
      namespace: req.info.namespace,
      name: req.info.name,
      subresource: req.info.subresource,
      object,
      oldObject: undefined,
      dryRun,
      username: req.user.username,
      groups: req.user.groups,
      user: req.user,
    };
    try {
      await this.#parts.admission.run(attrs);
    } finally {
      // Nothing of the subresource's own is stored; what the write does is admitted apart.
      this.#parts.admission.committed(attrs, false);
    }
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
    const body =
      (isJsonObject(eviction.deleteOptions) ? eviction.deleteOptions : {}) as DeleteOptions;
    // `?dryRun=All` on the eviction applies to its delete, as upstream's propagateDryRun.
    const opts: DeleteOptions = dryRunOf(req.query) && (body.dryRun ?? []).length === 0
      ? { ...body, dryRun: ["All"] }
      : body;
    const dryRun = (opts.dryRun ?? []).includes("All");
    await this.#admitCreate(
      req,
      { apiVersion: "policy/v1", kind: "Eviction", ...eviction },
      dryRun,
    );
    const { obj: pod } = await this.#rest.getExisting(req);
    const userVersion = opts.preconditions?.resourceVersion;
    if (userVersion && userVersion !== pod.metadata?.resourceVersion) {
      throw ApiError.conflict(req.def, {
        name: req.info.name,
        detail:
          `Precondition failed: ResourceVersion in precondition: ${userVersion}, ResourceVersion in meta: ${
            pod.metadata?.resourceVersion ?? ""
          }`,
      });
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    // Terminal or already deleting pods have disrupted already: no budget applies. A Pending
    // pod is not counted by budgets either, but is deleted only as the version read here.
    const terminal = phase === "Succeeded" || phase === "Failed" ||
      !!pod.metadata?.deletionTimestamp;
    const check: BudgetCheck = terminal
      ? { precondition: false }
      : phase === "Pending"
      ? { precondition: true }
      : await this.#checkBudgets(req, { pod, dryRun });
    let deleteOptions = opts;
    if (check.precondition && !userVersion) {
      deleteOptions = {
        ...opts,
        preconditions: {
          ...opts.preconditions,
          resourceVersion: pod.metadata?.resourceVersion ?? "",
        },
      };
    }
    const podReq = { ...req, info: { ...req.info, subresource: "" } };
    if (!dryRun) {
      // Tell whoever owns the pod why it goes (upstream `addConditionAndDeletePod`); the
      // precondition follows the version this write makes.
      const marked = await this.#rest.mutateStored(
        podReq,
        (current) => markEvicted(current, this.#parts.clock.now()),
      );
      if (deleteOptions.preconditions?.resourceVersion !== undefined) {
        deleteOptions = {
          ...deleteOptions,
          preconditions: {
            ...deleteOptions.preconditions,
            resourceVersion: marked.metadata?.resourceVersion ?? "",
          },
        };
      }
    }
    // The pod's delete is admitted as a delete of the pod itself, as upstream's eviction REST.
    try {
      await this.#rest.deleteOne(podReq, req.info.name, deleteOptions);
    } catch (err) {
      if (
        err instanceof ApiError && err.code === 409 && check.precondition && !userVersion
      ) {
        // The pod changed since its budget was judged: the client tries again.
        throw budgetRefusal(
          `The disruption budget ${check.budget ?? ""} is still being processed by the server.`,
          0,
        );
      }
      throw err;
    }
    return createdStatus();
  }

  /**
   * Refuses an eviction that a PodDisruptionBudget forbids, or takes one disruption from the
   * budget (recording the pod in `status.disruptedPods`), as kube-apiserver's eviction REST
   * `checkAndDecrement` does, with its codes, messages and causes.
   */
  async #checkBudgets(
    req: ResourceRequest,
    options: { readonly pod: KubeObject; readonly dryRun: boolean },
  ): Promise<BudgetCheck> {
    const pdbDef = this.#parts.registry().get("policy", "v1", "poddisruptionbudgets");
    if (!pdbDef) return { precondition: false };
    const { pod } = options;
    const prefix = `${this.#rest.layout(pdbDef).prefix}${req.info.namespace}/`;
    const page = await this.#parts.storage.list(prefix);
    const labels = pod.metadata?.labels ?? {};
    const matching = page.items
      .map((kv) => this.#rest.fromStored(pdbDef, kv))
      .filter((pdb) => {
        let sel;
        try {
          sel = fromLabelSelectorObject((pdb.spec as { selector?: never } | undefined)?.selector);
        } catch {
          return false; // an invalid selector matches nothing
        }
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
    const found = matching[0];
    if (!found) return { precondition: false };
    const name = found.metadata?.name ?? "";
    const spec = (found.spec ?? {}) as { unhealthyPodEvictionPolicy?: string };
    if (!isPodReady(pod)) {
      // An unready pod does not count as healthy: deleting it takes nothing from the budget when
      // the policy says so, or when the application has its healthy pods anyway.
      const status = (found.status ?? {}) as BudgetStatus;
      const desired = status.desiredHealthy ?? 0;
      if (
        spec.unhealthyPodEvictionPolicy === "AlwaysAllow" ||
        ((status.currentHealthy ?? 0) >= desired && desired > 0)
      ) {
        return { precondition: true, budget: name };
      }
    }
    const key = this.#rest.key(pdbDef, { namespace: req.info.namespace, name });
    const nowMs = this.#parts.clock.now();
    try {
      await guaranteedUpdate(this.#parts.storage, {
        key,
        maxAttempts: 5,
        tryUpdate: (current) => {
          if (current === null) throw new KeyNotFoundError(key);
          const pdb = this.#rest.fromStored(pdbDef, current);
          const next = takeDisruption(pdb, { pod: req.info.name, nowMs });
          return options.dryRun ? null : this.#rest.toStored(pdbDef, next);
        },
      });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // The budget went away meanwhile.
      if (err instanceof KeyNotFoundError) return { precondition: false };
      if (err instanceof ConflictError) {
        throw ApiError.timeout(
          `couldn't update PodDisruptionBudget ${JSON.stringify(name)} due to conflicts`,
          10,
        );
      }
      throw err;
    }
    return { precondition: false, budget: name };
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
    const dryRun = dryRunOf(req.query, "UpdateOptions");
    let removed = false;
    let dryRunResult: KubeObject | undefined;
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
      if (dryRun) {
        dryRunResult = next;
        return null;
      }
      return next;
    });
    if (dryRunResult) return this.#render(req, dryRunResult);
    if (removed) {
      await this.#rest.deleteOne(req, req.info.name, {});
    }
    return this.#render(req, out);
  }
}
