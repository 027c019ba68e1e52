/**
 * User impersonation (`kubectl --as`, `--as-group`, `--as-uid`), as kube-apiserver's
 * impersonation filter: a request carrying `Impersonate-User`, `Impersonate-Group`,
 * `Impersonate-Uid` or `Impersonate-Extra-<key>` headers acts as that user once the
 * authenticated user is allowed the `impersonate` verb on each of them — `users` (or
 * `serviceaccounts` in their namespace for `system:serviceaccount:<ns>:<name>`) and `groups`
 * in the core group, `uids` and `userextras/<key>` in `authentication.k8s.io`. A refusal is
 * kube-apiserver's 403. The user acted as is also in `system:authenticated` (unless anonymous
 * or named in `system:unauthenticated`); a service account without groups asked for gets its
 * fixed ones.
 *
 * @example Act as alice when allowed
 * ```ts
 * import assert from "node:assert/strict";
 * import { AlwaysAllow } from "./authorizer.ts";
 * import { impersonatedUser } from "./impersonation.ts";
 *
 * const request = new Request("https://skiff/api/v1/pods", { headers: { "Impersonate-User": "alice" } });
 * const user = await impersonatedUser(request, {
 *   user: { username: "admin", groups: ["system:masters"] },
 *   authorizer: new AlwaysAllow(),
 * });
 * assert.deepEqual(user, { username: "alice", groups: ["system:authenticated"] });
 * ```
 *
 * @module
 */
import { ApiError } from "../errors.ts";
import type { RequestUser } from "../handlers/context.ts";
import { AUTHENTICATED_GROUP } from "./authenticator.ts";
import { type AuthorizationAttributes, type Authorizer, forbiddenMessage } from "./authorizer.ts";

const USER_HEADER = "impersonate-user";
const UID_HEADER = "impersonate-uid";
const GROUP_HEADER = "impersonate-group";
const EXTRA_PREFIX = "impersonate-extra-";
const ANONYMOUS = "system:anonymous";
const UNAUTHENTICATED_GROUP = "system:unauthenticated";
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
const AUTHENTICATION_GROUP = "authentication.k8s.io";

/** Options of {@linkcode impersonatedUser}. */
export interface ImpersonationOptions {
  /** The authenticated user, who asks to act as another. */
  readonly user: RequestUser;
  /** Decides whether `user` may impersonate. */
  readonly authorizer: Authorizer;
}

/** One thing to be allowed to impersonate. */
interface Target {
  readonly resource: string;
  readonly apiGroup: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Whether `request` asks to impersonate anyone. */
export function hasImpersonation(request: Request): boolean {
  for (const name of request.headers.keys()) {
    if (
      name === USER_HEADER || name === UID_HEADER || name === GROUP_HEADER ||
      name.startsWith(EXTRA_PREFIX)
    ) return true;
  }
  return false;
}

/** The header's values, as separate values (Fetch joins repeated headers with ", "). */
function values(headers: Headers, name: string): string[] {
  const joined = headers.get(name);
  if (joined === null) return [];
  return joined.split(",").map((v) => v.trim()).filter((v) => v !== "");
}

function extraKey(header: string): string {
  const raw = header.slice(EXTRA_PREFIX.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The user `request` acts as: `options.user` itself without impersonation headers, else the
 * user they name, after checking that `options.user` may impersonate each part. Throws
 * {@linkcode ApiError} 403 when it may not, 500 (as kube-apiserver) for groups, a UID or extras
 * without a user.
 */
export async function impersonatedUser(
  request: Request,
  options: ImpersonationOptions,
): Promise<RequestUser> {
  if (!hasImpersonation(request)) return options.user;
  const headers = request.headers;
  const username = headers.get(USER_HEADER)?.trim() ?? "";
  const uid = headers.get(UID_HEADER)?.trim() ?? "";
  const groups = values(headers, GROUP_HEADER);
  const extra: Record<string, string[]> = {};
  for (const [name] of headers) {
    if (name.startsWith(EXTRA_PREFIX)) extra[extraKey(name)] = values(headers, name);
  }
  if (username === "") {
    throw ApiError.internal(
      new Error(
        "requested impersonation of groups, a UID or extra fields without impersonating a user",
      ),
    );
  }

  const targets: Target[] = [];
  let serviceAccount: { namespace: string; name: string } | null = null;
  if (username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const [namespace, name, ...rest] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(":");
    if (namespace && name && rest.length === 0) serviceAccount = { namespace, name };
  }
  targets.push(
    serviceAccount
      ? { resource: "serviceaccounts", apiGroup: "", ...serviceAccount }
      : { resource: "users", apiGroup: "", name: username },
  );
  for (const group of groups) targets.push({ resource: "groups", apiGroup: "", name: group });
  if (uid !== "") targets.push({ resource: "uids", apiGroup: AUTHENTICATION_GROUP, name: uid });
  for (const [key, vals] of Object.entries(extra)) {
    for (const value of vals) {
      targets.push({
        resource: "userextras",
        subresource: key,
        apiGroup: AUTHENTICATION_GROUP,
        name: value,
      });
    }
  }
  for (const target of targets) {
    const attrs: AuthorizationAttributes = {
      user: options.user,
      verb: "impersonate",
      resourceRequest: true,
      path: new URL(request.url).pathname,
      apiGroup: target.apiGroup,
      apiVersion: "",
      resource: target.resource,
      subresource: target.subresource ?? "",
      namespace: target.namespace ?? "",
      name: target.name,
    };
    const res = await options.authorizer.authorize(attrs);
    if (res.decision !== "allow") {
      throw new ApiError(forbiddenMessage(attrs, res.reason), {
        code: 403,
        reason: "Forbidden",
        details: { name: target.name, group: target.apiGroup, kind: target.resource },
      });
    }
  }

  const actingGroups = [...groups];
  if (serviceAccount && groups.length === 0) {
    actingGroups.push(
      "system:serviceaccounts",
      `system:serviceaccounts:${serviceAccount.namespace}`,
    );
  }
  if (username !== ANONYMOUS) {
    if (!actingGroups.some((g) => g === AUTHENTICATED_GROUP || g === UNAUTHENTICATED_GROUP)) {
      actingGroups.push(AUTHENTICATED_GROUP);
    }
  } else if (!actingGroups.includes(UNAUTHENTICATED_GROUP)) {
    actingGroups.push(UNAUTHENTICATED_GROUP);
  }
  return {
    username,
    groups: actingGroups,
    ...(uid !== "" ? { uid } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}
