/**
 * The `authorization.k8s.io/v1` access reviews — questions to the server's authorizer,
 * answered 201 and never stored: SelfSubjectAccessReview (may I?, what `kubectl auth can-i`
 * sends), SubjectAccessReview (may this user?), LocalSubjectAccessReview (the same, in the
 * URL's namespace) and SelfSubjectRulesReview (what may I do in a namespace?, what
 * `kubectl auth can-i --list` sends). Bodies are decoded as every write's (JSON, YAML,
 * protobuf — kubectl 1.32+ sends protobuf) and validated as upstream; the answer carries
 * `status.allowed`, `denied`, `reason` and `evaluationError`, or the rules.
 *
 * @example Serve the reviews with the server's authorizer
 * ```ts ignore
 * const reviews = new AccessReviewHandler({ authorizer, ruleResolvers: [rbac], protobuf });
 * createApiApp({ ...deps, extensions: { reviews: [reviews] } });
 * ```
 *
 * @module
 */
import type { Clock } from "../../util/clock.ts";
import { systemClock } from "../../util/clock.ts";
import { ApiError } from "../errors.ts";
import {
  decodeBody,
  dryRunOf,
  fieldValidationOf,
  type ProtobufDecoder,
} from "../handlers/decode_body.ts";
import type { RequestUser, ResourceRequest } from "../handlers/context.ts";
import type { ReviewHandler } from "../handlers/extensions.ts";
import { renderObject } from "../handlers/render.ts";
import type { ResourceDef } from "../registry/resource_def.ts";
import { parseFieldSelector } from "../selectors/field_selector.ts";
import { parseLabelSelector } from "../selectors/label_selector.ts";
import type {
  FieldSelectorAttributes,
  LabelSelectorAttributes,
  NonResourceAttributes,
  NonResourceRule,
  ResourceAttributes,
  ResourceRule,
  SubjectAccessReviewSpec,
  SubjectAccessReviewStatus,
} from "../types/authorization_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import type { FieldError } from "../validation/field_errors.ts";
import {
  type ReviewSpecLike,
  validateLocalReview,
  validateReviewMeta,
  validateReviewSpec,
} from "./_access_review_validation.ts";
import type { AuthorizationAttributes, Authorizer } from "./authorizer.ts";
import { aggregateMessage, type RuleResolver } from "./rbac_authorizer.ts";

const GROUP = "authorization.k8s.io";

/** The kinds this handler answers, by resource. */
const KINDS: Readonly<Record<string, string>> = {
  selfsubjectaccessreviews: "SelfSubjectAccessReview",
  subjectaccessreviews: "SubjectAccessReview",
  localsubjectaccessreviews: "LocalSubjectAccessReview",
  selfsubjectrulesreviews: "SelfSubjectRulesReview",
};

/** Options of {@linkcode AccessReviewHandler}. */
export interface AccessReviewHandlerOptions {
  /** The server's full authorizer (Node, RBAC, with the `system:masters` bypass). */
  readonly authorizer: Authorizer;
  /** Who lists rules for SelfSubjectRulesReview (RBAC, and the Node authorizer if any). */
  readonly ruleResolvers: readonly RuleResolver[];
  /** Decodes protobuf bodies (kubectl 1.32+); without it they are refused with 415. */
  readonly protobuf?: ProtobufDecoder;
  /** @default {systemClock} */
  readonly clock?: Clock;
}

/** A field or label selector of a review as a query string, and whether it failed to parse. */
function rawSelector(
  selector: FieldSelectorAttributes | LabelSelectorAttributes | undefined,
  kind: "field" | "label",
): { readonly raw: string; readonly error: boolean } {
  if (selector === undefined) return { raw: "", error: false };
  let raw = selector.rawSelector ?? "";
  if (raw === "") {
    const parts: string[] = [];
    for (const r of selector.requirements ?? []) {
      const values = r.values ?? [];
      if (kind === "field") {
        if ((r.operator === "In" || r.operator === "NotIn") && values.length === 1) {
          parts.push(`${r.key}${r.operator === "In" ? "=" : "!="}${values[0]}`);
        } else return { raw: "", error: true };
      } else if (r.operator === "In" || r.operator === "NotIn") {
        parts.push(`${r.key} ${r.operator.toLowerCase()} (${values.join(",")})`);
      } else if (r.operator === "Exists") parts.push(r.key);
      else if (r.operator === "DoesNotExist") parts.push(`!${r.key}`);
    }
    raw = parts.join(",");
  }
  try {
    if (kind === "field") parseFieldSelector(raw);
    else parseLabelSelector(raw);
  } catch {
    return { raw: "", error: true };
  }
  return { raw, error: false };
}

/**
 * The authorization attributes a review asks about (upstream `ResourceAttributesFrom`,
 * `NonResourceAttributesFrom`), and the selector parse problems that go to `evaluationError`.
 */
export function reviewAttributes(
  user: RequestUser,
  spec: {
    readonly resourceAttributes?: ResourceAttributes;
    readonly nonResourceAttributes?: NonResourceAttributes;
  },
): { readonly attrs: AuthorizationAttributes; readonly problems: readonly string[] } {
  const ra = spec.resourceAttributes;
  if (ra === undefined) {
    const nra = spec.nonResourceAttributes ?? {};
    return {
      attrs: {
        user,
        verb: nra.verb ?? "",
        resourceRequest: false,
        path: nra.path ?? "",
        apiGroup: "",
        apiVersion: "",
        resource: "",
        subresource: "",
        namespace: "",
        name: "",
      },
      problems: [],
    };
  }
  const field = rawSelector(ra.fieldSelector, "field");
  const label = rawSelector(ra.labelSelector, "label");
  const problems: string[] = [];
  if (field.error) {
    problems.push("spec.resourceAttributes.fieldSelector ignored due to parse error");
  }
  if (label.error) {
    problems.push("spec.resourceAttributes.labelSelector ignored due to parse error");
  }
  return {
    attrs: {
      user,
      verb: ra.verb ?? "",
      resourceRequest: true,
      path: "",
      apiGroup: ra.group ?? "",
      apiVersion: ra.version || "*",
      resource: ra.resource ?? "",
      subresource: ra.subresource ?? "",
      namespace: ra.namespace ?? "",
      name: ra.name ?? "",
      fieldSelector: field.raw,
      labelSelector: label.raw,
    },
    problems,
  };
}

/** The user a SubjectAccessReview names (`AuthorizationAttributesFrom`): groups as given. */
function subjectOf(spec: SubjectAccessReviewSpec): RequestUser {
  return {
    username: spec.user ?? "",
    groups: spec.groups ?? [],
    ...(spec.uid ? { uid: spec.uid } : {}),
    ...(spec.extra ? { extra: spec.extra } : {}),
  };
}

function invalid(errors: readonly FieldError[]): ApiError {
  // Upstream names the decoded internal object's kind, which is empty.
  return ApiError.invalid({ group: GROUP, kind: "" }, { name: "", errors });
}

/** Answers the four `authorization.k8s.io/v1` reviews. */
export class AccessReviewHandler implements ReviewHandler {
  readonly #authorizer: Authorizer;
  readonly #resolvers: readonly RuleResolver[];
  readonly #protobuf: ProtobufDecoder | undefined;
  readonly #clock: Clock;

  constructor(options: AccessReviewHandlerOptions) {
    this.#authorizer = options.authorizer;
    this.#resolvers = options.ruleResolvers;
    this.#protobuf = options.protobuf;
    this.#clock = options.clock ?? systemClock;
  }

  handles(def: ResourceDef): boolean {
    return def.group === GROUP && def.version === "v1" && KINDS[def.resource] === def.kind;
  }

  async create(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    dryRunOf(query, "CreateOptions");
    const { object, warnings } = decodeBody(await req.body(), {
      contentType: req.headers.get("content-type"),
      schema: def.schema,
      group: def.group,
      version: def.version,
      kind: def.kind,
      fieldValidation: fieldValidationOf(query, "CreateOptions"),
      ...(this.#protobuf ? { protobuf: this.#protobuf } : {}),
    });
    const local = def.kind === "LocalSubjectAccessReview";
    // Only the namespaced path serves the local review.
    if (local && !req.info.namespace) throw ApiError.pathNotFound();
    const meta = object.metadata ??= {};
    // As the create handler does: the URL's namespace fills an empty one and must match a set one.
    const urlNamespace = def.namespaced ? req.info.namespace : "";
    if (!meta.namespace) {
      if (urlNamespace) meta.namespace = urlNamespace;
    } else if (meta.namespace !== urlNamespace) {
      if (urlNamespace) {
        throw ApiError.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      delete meta.namespace;
    }
    const answer = def.kind === "SelfSubjectRulesReview"
      ? await this.#rulesReview(req, object)
      : await this.#accessReview(req, object);
    return renderObject(answer, {
      def,
      output: req.output,
      query,
      nowMs: this.#clock.now(),
      status: 201,
      warnings,
    });
  }

  async #accessReview(req: ResourceRequest, obj: KubeObject): Promise<KubeObject> {
    const kind = req.def.kind;
    const spec = (obj as { spec?: SubjectAccessReviewSpec }).spec ?? {};
    const self = kind === "SelfSubjectAccessReview";
    const local = kind === "LocalSubjectAccessReview";
    const namespace = obj.metadata?.namespace ?? "";
    const errors = [
      ...validateReviewSpec(spec as ReviewSpecLike, { subject: !self }),
      ...validateReviewMeta(obj.metadata, { allowNamespace: local }),
      ...(local ? validateLocalReview(spec as ReviewSpecLike, namespace) : []),
    ];
    if (errors.length > 0) throw invalid(errors);
    if (local) {
      if (req.info.namespace !== namespace) {
        throw ApiError.badRequest(
          `spec.resourceAttributes.namespace must match namespace: ${req.info.namespace}`,
        );
      }
    }
    const user = self ? req.user : subjectOf(spec);
    const { attrs, problems } = reviewAttributes(user, spec);
    const res = await this.#authorizer.authorize(attrs);
    const status: SubjectAccessReviewStatus = { allowed: res.decision === "allow" };
    if (res.decision === "deny") status.denied = true;
    if (res.reason) status.reason = res.reason;
    if (problems.length > 0) status.evaluationError = problems.join("; ");
    return {
      kind,
      apiVersion: `${GROUP}/v1`,
      metadata: { ...(local ? { namespace } : {}), creationTimestamp: null },
      spec,
      status,
    } as unknown as KubeObject;
  }

  async #rulesReview(req: ResourceRequest, obj: KubeObject): Promise<KubeObject> {
    const namespace = (obj as { spec?: { namespace?: string } }).spec?.namespace ?? "";
    if (!namespace) throw ApiError.badRequest("no namespace on request");
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    const errors: string[] = [];
    let incomplete = false;
    for (const resolver of this.#resolvers) {
      const r = await resolver.rulesFor(req.user, namespace);
      if (r === null) continue;
      resourceRules.push(...(r.resourceRules ?? []));
      nonResourceRules.push(...(r.nonResourceRules ?? []));
      errors.push(...(r.errors ?? []));
      if (r.evaluationError) errors.push(r.evaluationError);
      incomplete ||= r.incomplete === true;
    }
    return {
      kind: req.def.kind,
      apiVersion: `${GROUP}/v1`,
      metadata: { creationTimestamp: null },
      // Upstream answers a new object: the spec comes back empty.
      spec: {},
      status: {
        resourceRules,
        nonResourceRules,
        incomplete,
        ...(errors.length > 0 ? { evaluationError: aggregateMessage(errors) } : {}),
      },
    } as unknown as KubeObject;
  }
}
