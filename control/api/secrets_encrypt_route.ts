/**
 * The server side of `skiff secrets-encrypt`: the running server owns the storage (a Deno KV
 * file is locked by one process, and its watchers see only that process's writes), so the
 * command asks the server to report and rotate the encryption keys, over HTTPS with the admin
 * credential:
 *
 * - `GET /v1-skiff/secrets-encrypt/status`: {@linkcode EncryptionStatus} as JSON.
 * - `POST /v1-skiff/secrets-encrypt/rotate-keys`: rotates, answering {@linkcode RotationResult}
 *   as JSON once done (409 while another rotation runs).
 *
 * Only members of `system:masters` may call them, whatever the authorizer allows: the routes
 * check the request's user themselves.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";
import type { EncryptionKeyManager } from "../storage/encryption_rotation.ts";
import { RotationError, RotationInProgressError } from "../storage/encryption_rotation.ts";
import { authorizationAttributes } from "./app.ts";
import type { AuthenticatedRequest } from "./auth/authenticator.ts";
import { forbiddenMessage } from "./auth/authorizer.ts";
import { ApiError } from "./errors.ts";
import type { ExtraRoute } from "./handlers/extensions.ts";

/** The status route's path. */
export const SECRETS_ENCRYPT_STATUS_PATH = "/v1-skiff/secrets-encrypt/status";
/** The rotation route's path. */
export const SECRETS_ENCRYPT_ROTATE_PATH = "/v1-skiff/secrets-encrypt/rotate-keys";
/** The group allowed to call the routes. */
export const SECRETS_ENCRYPT_GROUP = "system:masters";

/** Options of {@linkcode secretsEncryptRoutes}. */
export interface SecretsEncryptRouteOptions {
  /** The key manager of the server's encrypting storage. */
  readonly keys: EncryptionKeyManager;
  readonly logger?: Logger;
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    headers: { "content-type": "application/json", "cache-control": "no-cache, private" },
  });
}

/** Throws 401/403 unless the request's user is in `system:masters`. */
function requireMasters(request: Request): void {
  const user = (request as AuthenticatedRequest).skiffUser;
  if (!user) throw ApiError.unauthorized();
  if (user.groups.includes(SECRETS_ENCRYPT_GROUP)) return;
  const attrs = authorizationAttributes(request, user);
  throw new ApiError(
    forbiddenMessage(attrs, `only ${SECRETS_ENCRYPT_GROUP} may manage encryption keys`),
    { code: 403, reason: "Forbidden", details: {} },
  );
}

/**
 * The status and rotation routes, for the API app's `extensions.routes`.
 *
 * @example Serve the routes
 * ```ts ignore
 * const keys = new EncryptionKeyManager({ storage, path, config });
 * createApiApp({ ...deps, extensions: { routes: secretsEncryptRoutes({ keys, logger }) } });
 * ```
 */
export function secretsEncryptRoutes(options: SecretsEncryptRouteOptions): ExtraRoute[] {
  const { keys, logger } = options;
  return [
    {
      method: "GET",
      path: SECRETS_ENCRYPT_STATUS_PATH,
      async handle(request) {
        requireMasters(request);
        return json(await keys.status());
      },
    },
    {
      method: "POST",
      path: SECRETS_ENCRYPT_ROTATE_PATH,
      async handle(request) {
        requireMasters(request);
        const user = (request as AuthenticatedRequest).skiffUser!;
        logger?.info("Rotation of encryption keys requested", { user: user.username });
        try {
          // Not tied to the request: a client going away must not stop a rotation halfway.
          return json(await keys.rotate());
        } catch (err) {
          if (err instanceof RotationInProgressError) {
            throw new ApiError(err.message, { code: 409, reason: "Conflict", details: {} });
          }
          if (err instanceof RotationError) throw ApiError.internal(err);
          throw err;
        }
      },
    },
  ];
}
