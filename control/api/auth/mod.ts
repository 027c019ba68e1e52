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
export * from "./node_network_identity.ts";
export * from "./jwt.ts";
export * from "./service_account_keys.ts";
export * from "./service_account_token.ts";
export * from "./service_account_authenticator.ts";
export * from "./token_request.ts";
export * from "./token_review.ts";
export * from "./self_subject_review.ts";
export * from "./oidc_discovery.ts";
export * from "./node_authorizer.ts";
export * from "./rbac_rules.ts";
export * from "./rbac_authorizer.ts";
export * from "./bootstrap_policy.ts";
export * from "./cluster_role_aggregation.ts";
export * from "./rbac_escalation.ts";
export * from "./access_reviews.ts";
export * from "./impersonation.ts";
