/**
 * The cluster's X.509: CA, serving and client certificates, verification, kubeconfig.
 *
 * @module
 */
export * from "./cluster_pki.ts";
export * from "./certificate_renewer.ts";
