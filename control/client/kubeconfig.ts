/**
 * Reads a kubeconfig (the YAML `kubectl` uses) into what a client needs to connect: the
 * server URL, the CA, and a client certificate and key or a bearer token, for the
 * `current-context` (or a named context). Only embedded credentials are read
 * (`certificate-authority-data`, `client-certificate-data`, `client-key-data`, `token`):
 * parsing does no I/O.
 *
 * @example Read skiff's admin kubeconfig
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKubeconfig } from "./kubeconfig.ts";
 *
 * const text = `
 * apiVersion: v1
 * kind: Config
 * current-context: edge
 * clusters:
 *   - name: edge
 *     cluster: { server: "https://10.0.0.1:6443" }
 * contexts:
 *   - name: edge
 *     context: { cluster: edge, user: scheduler, namespace: kube-system }
 * users:
 *   - name: scheduler
 *     user: { token: abc.def }
 * `;
 * const creds = parseKubeconfig(text);
 * assert.equal(creds.server, "https://10.0.0.1:6443");
 * assert.equal(creds.token, "abc.def");
 * assert.equal(creds.namespace, "kube-system");
 * ```
 *
 * @module
 */
import { parse as parseYaml } from "yaml";

/** The connection settings of one kubeconfig context. */
export interface KubeconfigCredentials {
  /** The context these came from. */
  readonly context: string;
  readonly server: string;
  /** From `certificate-authority-data`; unset: verify by the system's roots. */
  readonly caCertPem?: string;
  /** From `client-certificate-data` and `client-key-data`. */
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly token?: string;
  /** The context's default namespace, if it names one. */
  readonly namespace?: string;
}

/** Options of {@linkcode parseKubeconfig}. */
export interface ParseKubeconfigOptions {
  /** The context to read instead of `current-context`. */
  readonly context?: string;
}

type Entry = Record<string, unknown>;

function named(list: unknown, name: string, inner: string): Entry | null {
  if (!Array.isArray(list)) return null;
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue;
    const entry = item as Entry;
    if (entry.name !== name) continue;
    const value = entry[inner];
    return typeof value === "object" && value !== null ? value as Entry : {};
  }
  return null;
}

function decodeBase64(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    throw new SyntaxError(`Cannot parse kubeconfig: ${what} is not a string`);
  }
  let binary: string;
  try {
    binary = atob(value.replace(/\s+/g, ""));
  } catch (err) {
    throw new SyntaxError(`Cannot parse kubeconfig: ${what} is not base64`, { cause: err });
  }
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

function refuseFileReference(entry: Entry, key: string, where: string): void {
  if (typeof entry[key] === "string" && entry[key] !== "") {
    throw new TypeError(
      `Cannot use kubeconfig: ${where} names the file "${
        entry[key]
      }" in "${key}"; embed it as "${key}-data"`,
    );
  }
}

/**
 * The server and credentials of `options.context` (default: `current-context`) in the
 * kubeconfig `text`. Throws `SyntaxError` for text that is not a kubeconfig, and `TypeError`
 * when the context, its cluster or its user is missing or names credential files.
 */
export function parseKubeconfig(
  text: string,
  options: ParseKubeconfigOptions = {},
): KubeconfigCredentials {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SyntaxError("Cannot parse kubeconfig: not YAML", { cause: err });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new SyntaxError("Cannot parse kubeconfig: expected a mapping");
  }
  const config = doc as Entry;
  const contextName = options.context ?? config["current-context"];
  if (typeof contextName !== "string" || contextName === "") {
    throw new TypeError("Cannot use kubeconfig: no current-context");
  }
  const context = named(config.contexts, contextName, "context");
  if (context === null) {
    throw new TypeError(`Cannot use kubeconfig: context "${contextName}" not found`);
  }
  const clusterName = String(context.cluster ?? "");
  const cluster = named(config.clusters, clusterName, "cluster");
  if (cluster === null) {
    throw new TypeError(
      `Cannot use kubeconfig: cluster "${clusterName}" of context "${contextName}" not found`,
    );
  }
  if (typeof cluster.server !== "string" || cluster.server === "") {
    throw new TypeError(`Cannot use kubeconfig: cluster "${clusterName}" has no server`);
  }
  refuseFileReference(cluster, "certificate-authority", `cluster "${clusterName}"`);
  const userName = String(context.user ?? "");
  const user = userName === "" ? {} : named(config.users, userName, "user");
  if (user === null) {
    throw new TypeError(
      `Cannot use kubeconfig: user "${userName}" of context "${contextName}" not found`,
    );
  }
  refuseFileReference(user, "client-certificate", `user "${userName}"`);
  refuseFileReference(user, "client-key", `user "${userName}"`);
  if (typeof user.tokenFile === "string" && user.tokenFile !== "" && user.token === undefined) {
    throw new TypeError(
      `Cannot use kubeconfig: user "${userName}" names the file "${user.tokenFile}" in "tokenFile"; embed it as "token"`,
    );
  }
  const caCertPem = decodeBase64(
    cluster["certificate-authority-data"],
    "certificate-authority-data",
  );
  const certPem = decodeBase64(user["client-certificate-data"], "client-certificate-data");
  const keyPem = decodeBase64(user["client-key-data"], "client-key-data");
  if ((certPem === undefined) !== (keyPem === undefined)) {
    throw new TypeError(
      `Cannot use kubeconfig: user "${userName}" needs both client-certificate-data and client-key-data`,
    );
  }
  const token = typeof user.token === "string" && user.token !== "" ? user.token : undefined;
  const namespace = typeof context.namespace === "string" && context.namespace !== ""
    ? context.namespace
    : undefined;
  return {
    context: contextName,
    server: cluster.server,
    ...(caCertPem !== undefined ? { caCertPem } : {}),
    ...(certPem !== undefined ? { certPem } : {}),
    ...(keyPem !== undefined ? { keyPem } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
  };
}
