/**
 * Test support: the test app with RBAC wired as the server wires it — the RBAC authorizer
 * behind the union authorizer, escalation prevention in admission, the access reviews, the
 * bootstrap policy reconciled and aggregated — and users that authenticate with a bearer
 * token equal to their name.
 *
 * @module
 */
import { createTestApp, type TestApp, type TestAppParts } from "../_test_app.ts";
import { decodeProtobufBody } from "../codec/protobuf_body.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { ObjectView } from "../store/object_view.ts";
import type { ObjectMeta } from "../types/meta_v1.ts";
import type { ClusterRole } from "../types/rbac_v1.ts";
import { AccessReviewHandler } from "./access_reviews.ts";
import type { Authenticator, ConnectionInfo } from "./authenticator.ts";
import { UnionAuthorizer } from "./authorizer.ts";
import { reconcileBootstrapPolicy } from "./bootstrap_policy.ts";
import { ClusterRoleAggregationController } from "./cluster_role_aggregation.ts";
import { RBAC_PREFIXES, RbacAuthorizer } from "./rbac_authorizer.ts";
import { RbacEscalation } from "./rbac_escalation.ts";

/** Users by token (their name). */
class TokenUsers implements Authenticator {
  readonly users = new Map<string, RequestUser>();

  authenticate(request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    if (connection.internalUser) return Promise.resolve(connection.internalUser);
    const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
    return Promise.resolve(this.users.get(token) ?? null);
  }
}

/** Resolves once `pred` holds: now, or after one of the view's changes. */
function until(view: ObjectView, pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred()) return resolve();
    const off = view.onChange(() => {
      if (!pred()) return;
      off();
      resolve();
    });
  });
}

/** The test app with RBAC. */
export interface RbacTestApp extends TestApp {
  readonly rbac: RbacAuthorizer;
  readonly aggregation: ClusterRoleAggregationController;
  /** Sends a request as `user` (registering it); JSON in and out unless told otherwise. */
  as(
    user: RequestUser,
    request: {
      method: string;
      path: string;
      body?: unknown;
      contentType?: string;
    },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Resolves once the view of `obj`'s kind holds it at its resourceVersion (or later). */
  seen(obj: Record<string, unknown>): Promise<void>;
}

/** Builds the app, reconciles the bootstrap policy and waits for admin/edit/view to fill. */
export async function createRbacTestApp(): Promise<RbacTestApp> {
  const users = new TokenUsers();
  let built: { rbac: RbacAuthorizer; union: UnionAuthorizer } | null = null;
  // The test app asks for its parts in its own order: build them on first use.
  const parts = (p: TestAppParts) => {
    if (!built) {
      const rbac = new RbacAuthorizer({ views: p.views });
      built = { rbac, union: new UnionAuthorizer([rbac]) };
    }
    return built;
  };
  const app = await createTestApp({
    authenticator: () => users,
    authorizer: (p) => parts(p).union,
    admission: (p) => [new RbacEscalation({ authorizer: parts(p).union, rbac: parts(p).rbac })],
    extensions: (p) => ({
      reviews: [
        new AccessReviewHandler({
          authorizer: parts(p).union,
          ruleResolvers: [parts(p).rbac],
          protobuf: decodeProtobufBody,
        }),
      ],
    }),
  });
  const authorizer = parts(app).rbac;
  await authorizer.start();
  const aggregation = new ClusterRoleAggregationController({
    views: app.views,
    logger: app.logger,
  });
  await aggregation.start(app.client, app.signal);
  await reconcileBootstrapPolicy(app.client, app.logger);
  const roles = app.views.get(RBAC_PREFIXES.clusterRoles);
  const filled = () =>
    ["admin", "edit", "view"].every((n) =>
      ((roles.getByName("", n) as ClusterRole | undefined)?.rules ?? []).length > 0
    );
  await until(roles, filled);
  await aggregation.idle();
  return Object.assign(app, {
    rbac: authorizer,
    aggregation,
    seen(obj: Record<string, unknown>) {
      const meta = (obj.metadata ?? {}) as ObjectMeta;
      const plural = `${String(obj.kind).toLowerCase()}s`;
      const view = app.views.get(`/registry/${plural}/`);
      const rv = Number(meta.resourceVersion ?? 0);
      return until(view, () => {
        const cur = view.getByName(meta.namespace ?? "", meta.name ?? "");
        return cur !== undefined && Number(cur.metadata?.resourceVersion ?? 0) >= rv;
      });
    },
    async as(
      user: RequestUser,
      request: { method: string; path: string; body?: unknown; contentType?: string },
    ) {
      users.users.set(user.username, user);
      const headers: Record<string, string> = {
        accept: "application/json",
        authorization: `Bearer ${user.username}`,
      };
      let body: BodyInit | undefined;
      if (request.body !== undefined) {
        body = request.body instanceof Uint8Array
          ? new Uint8Array(request.body)
          : typeof request.body === "string"
          ? request.body
          : JSON.stringify(request.body);
        headers["content-type"] = request.contentType ?? "application/json";
      }
      const res = await app.app.request(request.path, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
  });
}
