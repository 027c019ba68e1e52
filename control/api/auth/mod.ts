/**
 * Authentication: authenticators that resolve a request to a user.
 *
 * @module
 */
export * from "./authenticator.ts";
export * from "./x509_authenticator.ts";
export * from "./authorizer.ts";
export * from "./bearer_token.ts";
export * from "./bootstrap_token.ts";
export * from "./node_credential.ts";
