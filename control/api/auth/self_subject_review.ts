/**
 * `POST /apis/authentication.k8s.io/{v1,v1beta1}/selfsubjectreviews` (`kubectl auth whoami`):
 * answers 201 with the requesting user's username, uid, groups and extra, and a
 * `creationTimestamp` of now, as kube-apiserver's `pkg/registry/authentication/selfsubjectreview`
 * does (the request's own metadata is not echoed).
 *
 * @module
 */
import type { Clock } from "../../util/clock.ts";
import type { ResourceRequest } from "../handlers/context.ts";
import {
  decodeBody,
  dryRunOf,
  fieldValidationOf,
  type ProtobufDecoder,
} from "../handlers/decode_body.ts";
import type { ReviewHandler } from "../handlers/extensions.ts";
import { rfc3339 } from "../handlers/object_lifecycle.ts";
import { renderObject } from "../handlers/render.ts";
import { groupVersion, type ResourceDef } from "../registry/resource_def.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import { userInfoOf } from "./token_review.ts";

/** Options of {@linkcode SelfSubjectReviewHandler}. */
export interface SelfSubjectReviewHandlerOptions {
  readonly clock: Clock;
  /** Decodes protobuf bodies (kubectl 1.32+ sends them); without it they are refused. */
  readonly protobuf?: ProtobufDecoder;
}

/** Answers SelfSubjectReviews in every served version. */
export class SelfSubjectReviewHandler implements ReviewHandler {
  readonly #o: SelfSubjectReviewHandlerOptions;

  constructor(options: SelfSubjectReviewHandlerOptions) {
    this.#o = options;
  }

  handles(def: ResourceDef): boolean {
    return def.group === "authentication.k8s.io" && def.resource === "selfsubjectreviews";
  }

  async create(req: ResourceRequest): Promise<Response> {
    const { def, query } = req;
    dryRunOf(query, "CreateOptions");
    // The body only has to be a SelfSubjectReview of this version; nothing in it is used.
    const { warnings } = decodeBody(await req.body(), {
      contentType: req.headers.get("content-type"),
      schema: def.schema,
      group: def.group,
      version: def.version,
      kind: def.kind,
      fieldValidation: fieldValidationOf(query, "CreateOptions"),
      ...(this.#o.protobuf ? { protobuf: this.#o.protobuf } : {}),
    });
    const nowMs = this.#o.clock.now();
    const review: KubeObject = {
      kind: def.kind,
      apiVersion: groupVersion(def),
      metadata: { creationTimestamp: rfc3339(nowMs) },
      status: { userInfo: userInfoOf(req.user) },
    };
    return renderObject(review, { def, output: req.output, query, nowMs, status: 201, warnings });
  }
}
