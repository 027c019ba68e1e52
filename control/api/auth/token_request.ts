/**
 * `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token` (`kubectl create token`, the
 * kubelet's projected tokens): issues a ServiceAccount token, as kube-apiserver's TokenREST
 * (`pkg/registry/core/serviceaccount/storage/token.go`) does, with its checks in its order and
 * its messages:
 *
 * 1. the body is a `TokenRequest` (JSON, YAML or protobuf); `metadata.name`/`namespace`, when
 *    set, must be the ServiceAccount's (422);
 * 2. the ServiceAccount must exist (404);
 * 3. `spec.audiences` defaults to the API server's; `spec.expirationSeconds` must be at least
 *    600 and at most 2^32 (422); then admission (NodeRestriction sees the request here);
 * 4. a `boundObjectRef` must be a core Pod, Secret or Node (400 otherwise) that exists (404)
 *    and, when `uid` is given, has that uid (409); a pod must run as this ServiceAccount
 *    (400); a scheduled pod's token also names its node;
 * 5. the lifetime is capped at `maxExpirationSeconds` (with a warning), and pod-bound tokens
 *    of 3607 s are extended to a year with `warnafter` (see `service_account_token.ts`).
 *
 * The answer is 201 with the request, defaulted, and `status.token` and
 * `status.expirationTimestamp` (now + the requested seconds, also for extended tokens).
 * The ServiceAccount and the bound object are read from storage, past the shared views, so a
 * token for an object created a moment before is not refused while the views catch up.
 *
 * @module
 */
import type { Clock } from "../../util/clock.ts";
import type { AdmissionAttributes, AdmissionChain } from "../admission/admission.ts";
import { ApiError } from "../errors.ts";
import type { ResourceRequest } from "../handlers/context.ts";
import {
  decodeBody,
  dryRunOf,
  fieldValidationOf,
  type ProtobufDecoder,
} from "../handlers/decode_body.ts";
import type { SubresourceHook } from "../handlers/extensions.ts";
import { rfc3339 } from "../handlers/object_lifecycle.ts";
import { renderObject } from "../handlers/render.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectViews } from "../store/object_views.ts";
import {
  MIN_TOKEN_EXPIRATION_SECONDS,
  type TokenRequest,
  TokenRequest as TokenRequestSchema,
  type TokenRequestSpec,
} from "../types/authentication_v1.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { FieldPath, invalid } from "../validation/field_errors.ts";
import {
  type ObjectIdentity,
  serviceAccountClaims,
  type ServiceAccountTokenIssuer,
  tokenLifetime,
} from "./service_account_token.ts";

/** The largest `expirationSeconds` a TokenRequest may ask for: 2^32 seconds. */
export const MAX_TOKEN_EXPIRATION_SECONDS = 2 ** 32;

const GROUP_KIND = { group: "authentication.k8s.io", kind: "TokenRequest" };

/** Options of {@linkcode TokenRequestHook}. */
export interface TokenRequestHookOptions {
  readonly issuer: ServiceAccountTokenIssuer;
  /** The `iss` of the tokens. */
  readonly issuerUrl: string;
  /** The API server's audiences: the default of `spec.audiences`. */
  readonly apiAudiences: readonly string[];
  readonly views: ObjectViews;
  readonly clock: Clock;
  /** Runs on the request (operation CREATE, subresource `token`), as upstream's admission. */
  readonly admission?: AdmissionChain;
  /** Decodes protobuf bodies (kubectl 1.32+ sends them); without it they are refused. */
  readonly protobuf?: ProtobufDecoder;
  /** `--service-account-max-token-expiration` in seconds; absent or 0: no cap. */
  readonly maxExpirationSeconds?: number;
  /** `--service-account-extend-token-expiration`. @default {true} */
  readonly extendExpiration?: boolean;
}

/** The storage prefixes of the views the hook reads. */
const PREFIX = {
  serviceAccounts: "/registry/serviceaccounts/",
  pods: "/registry/pods/",
  secrets: "/registry/secrets/",
  nodes: "/registry/nodes/",
} as const;

/** `group/version` split as apimachinery's `ParseGroupVersion` (unparsable: empty). */
function groupVersionOf(apiVersion: string): { group: string; version: string } {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { group: "", version: "" };
}

/** What a token is bound to. */
interface BoundObjects {
  pod?: ObjectIdentity;
  secret?: ObjectIdentity;
  /** A pod's node (uid unknown when the Node is missing), or the node bound to. */
  node?: { readonly name: string; readonly uid?: string };
}

function identity(obj: KubeObject): ObjectIdentity {
  return { name: obj.metadata?.name ?? "", uid: obj.metadata?.uid ?? "" };
}

/** Serves `serviceaccounts/token`. */
export class TokenRequestHook implements SubresourceHook {
  readonly group = "";
  readonly resource = "serviceaccounts";
  readonly subresource = "token";
  readonly #o: TokenRequestHookOptions;
  readonly #serviceAccounts: ObjectView;
  readonly #pods: ObjectView;
  readonly #secrets: ObjectView;
  readonly #nodes: ObjectView;
  #ready: Promise<void> | undefined;

  constructor(options: TokenRequestHookOptions) {
    this.#o = options;
    this.#serviceAccounts = options.views.get(PREFIX.serviceAccounts);
    this.#pods = options.views.get(PREFIX.pods);
    this.#secrets = options.views.get(PREFIX.secrets);
    this.#nodes = options.views.get(PREFIX.nodes);
  }

  /** Starts the views the hook reads (also done on first use). */
  start(): Promise<void> {
    this.#ready ??= Promise.all(Object.values(PREFIX).map((p) => this.#o.views.started(p)))
      .then(() => {});
    return this.#ready;
  }

  async handle(req: ResourceRequest): Promise<Response> {
    const { info, query } = req;
    if (req.method !== "POST") {
      throw ApiError.methodNotSupported(
        { group: "", resource: "serviceaccounts/token" },
        info.verb,
      );
    }
    const dryRun = dryRunOf(query, "CreateOptions");
    const { object, warnings } = decodeBody(await req.body(), {
      contentType: req.headers.get("content-type"),
      schema: TokenRequestSchema,
      group: GROUP_KIND.group,
      version: "v1",
      kind: GROUP_KIND.kind,
      fieldValidation: fieldValidationOf(query, "CreateOptions"),
      ...(this.#o.protobuf ? { protobuf: this.#o.protobuf } : {}),
    });
    const tr = object as TokenRequest;
    const name = info.name;
    const namespace = info.namespace;
    const meta = tr.metadata ??= {};
    const attrs: AdmissionAttributes = {
      operation: "CREATE",
      def: req.def,
      namespace,
      name,
      subresource: "token",
      object: tr,
      oldObject: undefined,
      dryRun,
      username: req.user.username,
      groups: req.user.groups,
      user: req.user,
      warnings,
    };
    await this.#o.admission?.admit(attrs);

    if (meta.name && meta.name !== name) {
      throw ApiError.invalid(GROUP_KIND, {
        name,
        errors: [invalid(new FieldPath("metadata").child("name"), {
          value: meta.name,
          detail: "must match the service account name if specified",
        })],
      });
    }
    if (meta.namespace && meta.namespace !== namespace) {
      throw ApiError.invalid(GROUP_KIND, {
        name,
        errors: [invalid(new FieldPath("metadata").child("namespace"), {
          value: meta.namespace,
          detail: "must match the service account namespace if specified",
        })],
      });
    }

    await this.start();
    // Read past the views: a ServiceAccount or object created just before (`kubectl create sa`
    // then `kubectl create token`) must be found, and a recreated one must show its new uid.
    const sa = await this.#serviceAccounts.readByName(namespace, name);
    if (!sa) throw ApiError.notFound({ group: "", resource: "serviceaccounts" }, name);

    const spec: TokenRequestSpec = tr.spec ?? {};
    if (!spec.audiences?.length) spec.audiences = [...this.#o.apiAudiences];
    meta.name ||= name;
    meta.namespace ||= namespace;
    const nowMs = this.#o.clock.now();
    meta.creationTimestamp = rfc3339(nowMs);
    delete tr.status;
    tr.spec = spec;

    const expiration = spec.expirationSeconds ?? 0;
    const path = new FieldPath("spec").child("expirationSeconds");
    const errors = [];
    if (expiration < MIN_TOKEN_EXPIRATION_SECONDS) {
      errors.push(invalid(path, {
        value: expiration,
        detail: "may not specify a duration less than 10 minutes",
      }));
    }
    if (expiration > MAX_TOKEN_EXPIRATION_SECONDS) {
      errors.push(invalid(path, {
        value: expiration,
        detail: "may not specify a duration larger than 2^32 seconds",
      }));
    }
    if (errors.length > 0) throw ApiError.invalid(GROUP_KIND, { name: "", errors });
    await this.#o.admission?.validate(attrs);

    const bound = await this.#bound(spec, { name, namespace });

    const max = this.#o.maxExpirationSeconds ?? 0;
    if (max > 0 && expiration > max) {
      warnings.push(`requested expiration of ${expiration} seconds shortened to ${max} seconds`);
      spec.expirationSeconds = max;
    }
    const requested = spec.expirationSeconds ?? expiration;
    const lifetime = tokenLifetime({
      expirationSeconds: requested,
      podBound: bound.pod !== undefined,
      audiences: spec.audiences,
      apiAudiences: this.#o.apiAudiences,
      ...(this.#o.extendExpiration !== undefined ? { extend: this.#o.extendExpiration } : {}),
    });
    const claims = serviceAccountClaims({
      issuer: this.#o.issuerUrl,
      audiences: spec.audiences,
      serviceAccount: { namespace, ...identity(sa) },
      ...bound,
      expirationSeconds: lifetime.expirationSeconds,
      warnAfterSeconds: lifetime.warnAfterSeconds,
      nowMs,
    });
    const token = await this.#o.issuer.sign(claims);
    const out: KubeObject = {
      ...tr,
      // Upstream's `boundObjectRef` has no omitempty: an unbound token shows null.
      spec: { ...spec, boundObjectRef: spec.boundObjectRef ?? null },
      status: {
        token,
        expirationTimestamp: rfc3339(Math.floor(nowMs / 1000) * 1000 + requested * 1000),
      },
    };
    return renderObject(out, {
      def: req.def,
      output: req.output,
      query,
      nowMs,
      status: 201,
      warnings,
    });
  }

  /** The object the token is bound to, checked as upstream does. */
  async #bound(
    spec: TokenRequestSpec,
    sa: { readonly name: string; readonly namespace: string },
  ): Promise<BoundObjects> {
    const ref = spec.boundObjectRef;
    if (!ref) return {};
    const gv = groupVersionOf(ref.apiVersion ?? "");
    const kind = ref.kind ?? "";
    const refName = ref.name ?? "";
    const lookup = async (
      view: ObjectView,
      resource: string,
      namespace: string,
    ): Promise<KubeObject> => {
      // The registry's own answer to a get without a name.
      if (refName === "") throw ApiError.badRequest("Name parameter required.");
      const obj = await view.readByName(namespace, refName);
      if (!obj) throw ApiError.notFound({ group: "", resource }, refName);
      return obj;
    };
    let obj: KubeObject;
    let out: BoundObjects;
    if (gv.group === "" && kind === "Pod") {
      obj = await lookup(this.#pods, "pods", sa.namespace);
      const podSpec = (obj.spec ?? {}) as { serviceAccountName?: string; nodeName?: string };
      if (podSpec.serviceAccountName !== sa.name) {
        throw ApiError.badRequest(
          `cannot bind token for serviceaccount "${sa.name}" to pod running with different serviceaccount name.`,
        );
      }
      out = { pod: identity(obj) };
      const nodeName = podSpec.nodeName;
      if (nodeName) {
        // A missing Node still gives its name, so the token tells where the pod runs.
        const node = this.#nodes.getByName("", nodeName);
        out.node = node ? identity(node) : { name: nodeName };
      }
    } else if (gv.group === "" && kind === "Node") {
      obj = await lookup(this.#nodes, "nodes", "");
      out = { node: identity(obj) };
    } else if (gv.group === "" && kind === "Secret") {
      obj = await lookup(this.#secrets, "secrets", sa.namespace);
      out = { secret: identity(obj) };
    } else {
      throw ApiError.badRequest(
        `cannot bind token to object of type ${gv.group}/${gv.version}, Kind=${kind}`,
      );
    }
    if (ref.uid && ref.uid !== (obj.metadata?.uid ?? "")) {
      throw ApiError.conflict({ group: gv.group, resource: kind }, {
        name: refName,
        detail:
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      });
    }
    return out;
  }
}
