/**
 * `authentication.k8s.io/v1`: TokenRequest (the `serviceaccounts/token` subresource), TokenReview
 * and SelfSubjectReview, plus SelfSubjectReview as `authentication.k8s.io/v1beta1`, which
 * `kubectl auth whoami` of 1.27 asks for. None of these is stored: a create returns the request
 * with its status filled in. Field numbers from upstream
 * `k8s.io/api/authentication/v1/generated.proto`.
 *
 * `UserInfo.extra` values are upstream's `ExtraValue`: a list of strings in JSON, a message
 * with `repeated string items = 1` in protobuf (`protoItems: 1`).
 *
 * @module
 */
import { objectFields } from "./meta_v1.ts";
import {
  array,
  boolean,
  field,
  type GroupVersionKind,
  type Infer,
  int64,
  map,
  object,
  requiredField,
  string,
  time,
} from "./schema.ts";

const AUTHN = "io.k8s.api.authentication.v1";
const AUTHN_V1BETA1 = "io.k8s.api.authentication.v1beta1";

/** The smallest `expirationSeconds` a TokenRequest may ask for (10 minutes). */
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;

/** The `expirationSeconds` of a TokenRequest that asks for none (one hour). */
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

/** A user as the authenticator knows them. */
export const UserInfo = object(`${AUTHN}.UserInfo`, {
  description: "The identity of a user: name, uid, groups and extra attributes.",
  fields: {
    username: field(string(), {
      description: "The name that identifies the user among all active users.",
      proto: 1,
    }),
    uid: field(string(), {
      description: "An identifier that stays unique across time, unlike the username.",
      proto: 2,
    }),
    groups: field(array(string(), { listType: "atomic" }), {
      description: "The groups the user belongs to.",
      proto: 3,
    }),
    extra: field(map(array(string(), { protoItems: 1 })), {
      description: "Further attributes the authenticator provides.",
      proto: 4,
    }),
  },
});

/** The object a token is bound to. */
export const BoundObjectReference = object(`${AUTHN}.BoundObjectReference`, {
  description: "An object a token is bound to: the token is valid only while it exists.",
  fields: {
    kind: field(string(), { description: "Kind of the object: Pod, Secret or Node.", proto: 1 }),
    apiVersion: field(string(), { description: "API version of the object.", proto: 2 }),
    name: field(string(), { description: "Name of the object.", proto: 3 }),
    uid: field(string(), { description: "UID of the object.", proto: 4 }),
  },
});

/** What a token is requested for. */
export const TokenRequestSpec = object(`${AUTHN}.TokenRequestSpec`, {
  description: "The parameters of a requested token.",
  fields: {
    // Upstream's OpenAPI lists audiences as required, but `kubectl create token` without
    // --audience sends none and the server defaults them to its own.
    audiences: field(array(string(), { listType: "atomic" }), {
      description:
        "Who the token is for: recipients must identify as one of them; defaults to the API server's audiences.",
      proto: 1,
    }),
    expirationSeconds: field(int64(), {
      description:
        "Requested validity, at least 600 seconds (default 3600); the issuer may choose another (see status).",
      proto: 4,
      keepZero: true,
      default: DEFAULT_TOKEN_EXPIRATION_SECONDS,
    }),
    boundObjectRef: field(BoundObjectReference, {
      description: "An object the token is bound to: it stops being valid when that is deleted.",
      proto: 3,
    }),
  },
});

/** The issued token. */
export const TokenRequestStatus = object(`${AUTHN}.TokenRequestStatus`, {
  description: "The issued token and when it expires.",
  fields: {
    token: field(string(), { description: "The bearer token.", proto: 1, keepZero: true }),
    expirationTimestamp: field(time(), {
      description: "When the token expires.",
      proto: 2,
    }),
  },
});

/** A TokenRequest: a request for a service account token. */
export const TokenRequest = object(`${AUTHN}.TokenRequest`, {
  description: "Requests a token for a service account (POST to serviceaccounts/<name>/token).",
  gvk: [{ group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" }],
  fields: {
    ...objectFields,
    spec: requiredField(TokenRequestSpec, {
      description: "What the token is for.",
      proto: 2,
    }),
    status: field(TokenRequestStatus, {
      description: "The issued token, filled in by the server.",
      proto: 3,
    }),
  },
});

/** The token to authenticate. */
export const TokenReviewSpec = object(`${AUTHN}.TokenReviewSpec`, {
  description: "A token to authenticate.",
  fields: {
    token: field(string(), { description: "The opaque bearer token.", proto: 1 }),
    audiences: field(array(string(), { listType: "atomic" }), {
      description:
        "Audiences the token must be meant for (one of them); defaults to the API server's.",
      proto: 2,
    }),
  },
});

/** Who the token belongs to. */
export const TokenReviewStatus = object(`${AUTHN}.TokenReviewStatus`, {
  description: "The result of authenticating a token.",
  fields: {
    authenticated: field(boolean(), {
      description: "The token belongs to a known user.",
      proto: 1,
    }),
    user: field(UserInfo, { description: "The user the token belongs to.", proto: 2 }),
    audiences: field(array(string(), { listType: "atomic" }), {
      description:
        "The audiences of both the review and the token; empty when authenticated means the API server's.",
      proto: 4,
    }),
    error: field(string(), {
      description: "Why the token could not be checked.",
      proto: 3,
    }),
  },
});

/** A TokenReview: authenticates a token. */
export const TokenReview = object(`${AUTHN}.TokenReview`, {
  description: "Asks the API server who a bearer token belongs to.",
  gvk: [{ group: "authentication.k8s.io", version: "v1", kind: "TokenReview" }],
  fields: {
    ...objectFields,
    spec: requiredField(TokenReviewSpec, { description: "The token to check.", proto: 2 }),
    status: field(TokenReviewStatus, {
      description: "The result, filled in by the server.",
      proto: 3,
    }),
  },
});

/** Who the caller is. */
export const SelfSubjectReviewStatus = object(`${AUTHN}.SelfSubjectReviewStatus`, {
  description: "The attributes of the user making the request.",
  fields: {
    userInfo: field(UserInfo, { description: "The requesting user.", proto: 1 }),
  },
});

/** A SelfSubjectReview: tells the caller who the API server thinks they are. */
export const SelfSubjectReview = object(`${AUTHN}.SelfSubjectReview`, {
  description:
    "Returns what the API server knows of the requesting user (the impersonated one under impersonation).",
  gvk: [{ group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview" }],
  fields: {
    ...objectFields,
    status: field(SelfSubjectReviewStatus, {
      description: "The requesting user, filled in by the server.",
      proto: 2,
    }),
  },
});

/** The group, version and kind of SelfSubjectReview as served in `v1beta1`. */
export const SELF_SUBJECT_REVIEW_V1BETA1_GVK: GroupVersionKind = {
  group: "authentication.k8s.io",
  version: "v1beta1",
  kind: "SelfSubjectReview",
};

/** {@linkcode SelfSubjectReviewStatus} as published in `v1beta1` (same fields and numbers). */
export const SelfSubjectReviewStatusV1beta1 = object(`${AUTHN_V1BETA1}.SelfSubjectReviewStatus`, {
  description: SelfSubjectReviewStatus.description,
  fields: SelfSubjectReviewStatus.fields,
});

/**
 * {@linkcode SelfSubjectReview} as served in `authentication.k8s.io/v1beta1`: the same object
 * under the v1beta1 definition names and group-version-kind.
 */
export const SelfSubjectReviewV1beta1 = object(`${AUTHN_V1BETA1}.SelfSubjectReview`, {
  description: SelfSubjectReview.description,
  gvk: [SELF_SUBJECT_REVIEW_V1BETA1_GVK],
  fields: {
    ...objectFields,
    status: field(SelfSubjectReviewStatusV1beta1, {
      description: "The requesting user, filled in by the server.",
      proto: 2,
    }),
  },
});

/** TypeScript type of {@linkcode UserInfo}. */
export type UserInfo = Infer<typeof UserInfo>;
/** TypeScript type of {@linkcode BoundObjectReference}. */
export type BoundObjectReference = Infer<typeof BoundObjectReference>;
/** TypeScript type of {@linkcode TokenRequestSpec}. */
export type TokenRequestSpec = Infer<typeof TokenRequestSpec>;
/** TypeScript type of {@linkcode TokenRequestStatus}. */
export type TokenRequestStatus = Infer<typeof TokenRequestStatus>;
/** TypeScript type of {@linkcode TokenRequest}. */
export type TokenRequest = Infer<typeof TokenRequest>;
/** TypeScript type of {@linkcode TokenReviewSpec}. */
export type TokenReviewSpec = Infer<typeof TokenReviewSpec>;
/** TypeScript type of {@linkcode TokenReviewStatus}. */
export type TokenReviewStatus = Infer<typeof TokenReviewStatus>;
/** TypeScript type of {@linkcode TokenReview}. */
export type TokenReview = Infer<typeof TokenReview>;
/** TypeScript type of {@linkcode SelfSubjectReviewStatus}. */
export type SelfSubjectReviewStatus = Infer<typeof SelfSubjectReviewStatus>;
/** TypeScript type of {@linkcode SelfSubjectReview} (also of its v1beta1 form). */
export type SelfSubjectReview = Infer<typeof SelfSubjectReview>;
