/**
 * X.509 for skiff's cluster PKI, on pkijs: CAs and leaf certificates (ECDSA P-256), PEM and
 * DER, and the strict checks client certificates get on every connection. Shared by the API
 * server's PKI (`control/api/pki`) and the node agent (its kubelet API's certificates).
 *
 * @module
 */
export * from "./certificates.ts";
