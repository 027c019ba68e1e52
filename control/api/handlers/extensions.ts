/**
 * Extension points for handlers other parts of the API server plug in without editing the
 * generic handlers: create-only "review" resources that are answered, never stored
 * (TokenReview, SelfSubjectReview, the access reviews), subresources with their own
 * semantics (`serviceaccounts/token`), and extra non-resource routes (OIDC discovery).
 *
 * @module
 */
import type { ResourceDef } from "../registry/resource_def.ts";
import type { ResourceRequest } from "./context.ts";

/** Answers POSTs to a create-only resource whose objects are computed, not stored. */
export interface ReviewHandler {
  /** Whether this handler answers `def`. */
  handles(def: ResourceDef): boolean;
  /** Answers the create; the request was authenticated and authorized. */
  create(req: ResourceRequest): Promise<Response>;
}

/** Serves one subresource of one resource. */
export interface SubresourceHook {
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  handle(req: ResourceRequest): Promise<Response>;
}

/** A non-resource route (`GET /.well-known/openid-configuration`). */
export interface ExtraRoute {
  readonly method: "GET" | "POST";
  /** Authorized as a non-resource URL, like every path outside the API groups. */
  readonly path: string;
  /**
   * Served to anonymous requests too, and to every user without authorization (GET routes
   * only): what a client needs before it has credentials, as the cluster CA for joining agents.
   */
  readonly public?: boolean;
  handle(request: Request): Response | Promise<Response>;
}

/** What {@linkcode ReviewHandler}s, hooks and routes the app serves. */
export interface ApiExtensions {
  readonly reviews?: readonly ReviewHandler[];
  readonly subresources?: readonly SubresourceHook[];
  readonly routes?: readonly ExtraRoute[];
}
