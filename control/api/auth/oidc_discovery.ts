/**
 * ServiceAccount issuer discovery (OIDC): `GET /.well-known/openid-configuration` and
 * `GET /openid/v1/jwks`, so that other systems (cloud IAM, Vault, a mesh) can verify this
 * cluster's ServiceAccount tokens, as kube-apiserver's `pkg/serviceaccount/openidmetadata.go`
 * serves them: the issuer, `jwks_uri` (by default `https://<external address>/openid/v1/jwks`),
 * `response_types_supported: ["id_token"]`, `subject_types_supported: ["public"]` and the
 * signing algorithms; the key set as `application/jwk-set+json`. Both answer with
 * `Cache-Control: public, max-age=3600`. The paths are also served with a trailing slash, as
 * upstream's routes are (and published in its OpenAPI).
 *
 * Who may read them is RBAC's: the bootstrap ClusterRole `system:service-account-issuer-discovery`
 * (bound to `system:serviceaccounts`).
 *
 * @example The routes of a key set
 * ```ts
 * import assert from "node:assert/strict";
 * import { oidcDiscoveryRoutes } from "./oidc_discovery.ts";
 * import { ServiceAccountKeys } from "./service_account_keys.ts";
 *
 * const keys = await ServiceAccountKeys.generate();
 * const routes = oidcDiscoveryRoutes({
 *   issuer: "https://kubernetes.default.svc.cluster.local",
 *   externalAddress: () => "192.0.2.10:6443",
 *   keys,
 * });
 * const res = await routes[0]!.handle(new Request("https://x/.well-known/openid-configuration"));
 * assert.equal((await res.json()).jwks_uri, "https://192.0.2.10:6443/openid/v1/jwks");
 * ```
 *
 * @module
 */
import type { ExtraRoute } from "../handlers/extensions.ts";
import { ES256 } from "./jwt.ts";
import type { JwkSet, ServiceAccountKeys } from "./service_account_keys.ts";

/** The discovery document's path. */
export const OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";

/** The key set's path. */
export const JWKS_PATH = "/openid/v1/jwks";

const CACHE_CONTROL = "public, max-age=3600";

/** The OpenID provider metadata upstream publishes (its fields, in its order). */
export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly "jwks_uri": string;
  readonly "response_types_supported": readonly string[];
  readonly "subject_types_supported": readonly string[];
  readonly "id_token_signing_alg_values_supported": readonly string[];
}

/** Options of {@linkcode oidcDiscoveryRoutes}. */
export interface OidcDiscoveryOptions {
  /** The ServiceAccount token issuer: an `https` URL. */
  readonly issuer: string;
  /** `--service-account-jwks-uri`: where relying parties fetch the keys. */
  readonly jwksUri?: string;
  /** `host:port` clients reach the API server at; gives the default `jwks_uri`. */
  readonly externalAddress?: () => string;
  /** The verifying keys (a function, to follow rotation). */
  readonly keys: ServiceAccountKeys | (() => ServiceAccountKeys);
}

/** The discovery document of `options`. */
export function openIdConfiguration(options: OidcDiscoveryOptions): OpenIdConfiguration {
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw new TypeError(`Cannot serve OIDC discovery: issuer "${options.issuer}" is not a URL`);
  }
  if (issuer.protocol !== "https:") {
    throw new TypeError(
      `Cannot serve OIDC discovery: issuer "${options.issuer}" does not use https`,
    );
  }
  let jwksUri = options.jwksUri;
  if (jwksUri === undefined) {
    const host = options.externalAddress?.();
    if (!host) {
      throw new TypeError("Cannot serve OIDC discovery: neither a JWKS URI nor an address is set");
    }
    jwksUri = `https://${host}${JWKS_PATH}`;
  }
  return {
    // Upstream prints the issuer as given (a URL parsed and printed again by Go keeps it).
    issuer: options.issuer,
    "jwks_uri": jwksUri,
    "response_types_supported": ["id_token"],
    "subject_types_supported": ["public"],
    "id_token_signing_alg_values_supported": [ES256],
  };
}

function respond(body: string, contentType: string): Response {
  return new Response(body, {
    status: 200,
    headers: { "content-type": contentType, "cache-control": CACHE_CONTROL },
  });
}

/**
 * The two discovery routes (each also with a trailing slash). Throws a `TypeError` when the
 * issuer is not an `https` URL or no `jwks_uri` can be given (upstream then serves none).
 */
export function oidcDiscoveryRoutes(options: OidcDiscoveryOptions): ExtraRoute[] {
  const k = options.keys;
  const keys = typeof k === "function" ? k : () => k;
  // Validated now, so a misconfiguration shows at start-up rather than on first request.
  openIdConfiguration(options);
  let configJson: { readonly address: string | undefined; readonly text: string } | undefined;
  let jwksJson: { readonly set: JwkSet; readonly text: string } | undefined;
  const configuration = (): Response => {
    const address = options.jwksUri === undefined ? options.externalAddress?.() : undefined;
    if (configJson === undefined || configJson.address !== address) {
      configJson = { address, text: JSON.stringify(openIdConfiguration(options)) };
    }
    return respond(configJson.text, "application/json");
  };
  const jwks = (): Response => {
    const set = keys().jwks();
    if (jwksJson?.set !== set) jwksJson = { set, text: JSON.stringify(set) };
    return respond(jwksJson.text, "application/jwk-set+json");
  };
  return [
    { method: "GET", path: OPENID_CONFIGURATION_PATH, handle: configuration },
    { method: "GET", path: `${OPENID_CONFIGURATION_PATH}/`, handle: configuration },
    { method: "GET", path: JWKS_PATH, handle: jwks },
    { method: "GET", path: `${JWKS_PATH}/`, handle: jwks },
  ];
}
