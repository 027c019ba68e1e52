/**
 * Identities for end-to-end security tests against a running `skiff server`: HTTPS clients
 * that present the admin's client certificate, a user certificate issued with the cluster CA
 * from `<data-dir>/tls/`, a bearer token, or nothing at all; node credentials obtained as an
 * agent obtains them (bootstrap token → `POST /v1-skiff/node-credentials`); and kubeconfigs
 * for kubectl with the same credentials.
 *
 * @module
 */
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { NODE_CREDENTIAL_PATH } from "../../control/api/auth/node_credential.ts";
import { issueCertificate, loadKeyPairCertificate } from "../../control/util/x509/certificates.ts";

/** The credentials one identity presents (none for anonymous). */
export interface Credentials {
  /** Client certificate and key (PEM). */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** A bearer token. */
  readonly token?: string;
}

/** The cluster an identity talks to. */
export interface ClusterEndpoint {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** The cluster CA (PEM) the serving certificate chains to. */
  readonly caPem: string;
}

/** What one request answered. */
export interface HttpsResult {
  readonly status: number;
  readonly headers: Headers;
  /** The body parsed as JSON, or null when it is not JSON. */
  readonly json: Record<string, unknown> | null;
  readonly text: string;
}

/** How long one request may take before it fails (a hanging server fails the test). */
const REQUEST_TIMEOUT_MS = 10_000;

/** Options of {@linkcode HttpsIdentity.request}. */
export interface HttpsRequestOptions {
  /** Sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
  /** The body's media type. @default {"application/json"} */
  readonly contentType?: string;
  /** More request headers (an `authorization` here replaces the identity's token). */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default {10000} */
  readonly timeoutMs?: number;
}

/** Base64 → text. */
function decodeBase64(data: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
}

/** One identity: an HTTPS client with its credentials, closed when disposed. */
export class HttpsIdentity implements Disposable {
  readonly name: string;
  readonly credentials: Credentials;
  readonly endpoint: ClusterEndpoint;
  readonly #client: Deno.HttpClient;

  constructor(name: string, options: { endpoint: ClusterEndpoint; credentials: Credentials }) {
    this.name = name;
    this.endpoint = options.endpoint;
    this.credentials = options.credentials;
    const { certPem, keyPem } = options.credentials;
    this.#client = certPem !== undefined && keyPem !== undefined
      ? Deno.createHttpClient({ caCerts: [options.endpoint.caPem], cert: certPem, key: keyPem })
      : Deno.createHttpClient({ caCerts: [options.endpoint.caPem] });
  }

  /** Sends `method path` with this identity's credentials. */
  async request(
    method: string,
    path: string,
    options: HttpsRequestOptions = {},
  ): Promise<HttpsResult> {
    const headers = new Headers({ accept: "application/json" });
    if (this.credentials.token !== undefined) {
      headers.set("authorization", `Bearer ${this.credentials.token}`);
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      headers.set("content-type", options.contentType ?? "application/json");
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    const res = await fetch(`${this.endpoint.url}${path}`, {
      method,
      headers,
      client: this.#client,
      signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let json: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        json = parsed as Record<string, unknown>;
      }
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  /**
   * Sends `method path` and returns the JSON body; throws, naming the identity and the
   * request, unless the status is `status`.
   */
  async expect(
    status: number,
    request: { method: string; path: string } & HttpsRequestOptions,
  ): Promise<Record<string, unknown>> {
    const res = await this.request(request.method, request.path, request);
    if (res.status !== status) {
      throw new Error(
        `${this.name}: ${request.method} ${request.path} answered ${res.status}, expected ${status}: ${res.text}`,
      );
    }
    return res.json ?? {};
  }

  [Symbol.dispose](): void {
    this.#client.close();
  }
}

/** The admin's endpoint and credentials from the kubeconfig `skiff server` writes. */
export async function readAdminKubeconfig(
  path: string,
): Promise<{ endpoint: ClusterEndpoint; credentials: Required<Omit<Credentials, "token">> }> {
  const doc = parse(await Deno.readTextFile(path)) as {
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
    users: { user: { "client-certificate-data": string; "client-key-data": string } }[];
  };
  const cluster = doc.clusters[0]!.cluster;
  const user = doc.users[0]!.user;
  return {
    endpoint: { url: cluster.server, caPem: decodeBase64(cluster["certificate-authority-data"]) },
    credentials: {
      certPem: decodeBase64(user["client-certificate-data"]),
      keyPem: decodeBase64(user["client-key-data"]),
    },
  };
}

/** Options of {@linkcode issueUserCertificate}. */
export interface UserCertificateOptions {
  /** The user name (`CN`). */
  readonly commonName: string;
  /** The groups (`O`). */
  readonly organizations?: readonly string[];
}

/** A client certificate for a user, signed by the cluster CA in `<dataDir>/tls/`. */
export async function issueUserCertificate(
  dataDir: string,
  options: UserCertificateOptions,
): Promise<Required<Omit<Credentials, "token">>> {
  const dir = join(dataDir, "tls");
  const ca = await loadKeyPairCertificate(
    await Deno.readTextFile(join(dir, "server-ca.crt")),
    await Deno.readTextFile(join(dir, "server-ca.key")),
  );
  const pair = await issueCertificate(ca, {
    commonName: options.commonName,
    organizations: options.organizations ?? [],
    usage: "client",
    now: new Date(),
  });
  return { certPem: pair.certPem, keyPem: pair.keyPem };
}

/** Options of {@linkcode requestNodeCredential}. */
export interface NodeCredentialRequest {
  /** `<id>.<secret>` of a join token. */
  readonly bootstrapToken: string;
  readonly nodeName: string;
}

/**
 * A node's own credential, as an agent obtains it: `POST /v1-skiff/node-credentials` with the
 * bootstrap token as bearer. Throws unless the server answers 201 with a token.
 */
export async function requestNodeCredential(
  endpoint: ClusterEndpoint,
  request: NodeCredentialRequest,
): Promise<string> {
  using joiner = new HttpsIdentity(`bootstrap token for ${request.nodeName}`, {
    endpoint,
    credentials: { token: request.bootstrapToken },
  });
  const body = await joiner.expect(201, {
    method: "POST",
    path: NODE_CREDENTIAL_PATH,
    body: { nodeName: request.nodeName },
  });
  if (typeof body.token !== "string") {
    throw new Error(`The node credential answer has no token: ${JSON.stringify(body)}`);
  }
  return body.token;
}

/** A kubeconfig (YAML) for `endpoint` with `credentials` embedded. */
export function kubeconfigFor(endpoint: ClusterEndpoint, credentials: Credentials): string {
  const user: Record<string, string> = {};
  if (credentials.certPem !== undefined) {
    user["client-certificate-data"] = btoa(credentials.certPem);
  }
  if (credentials.keyPem !== undefined) user["client-key-data"] = btoa(credentials.keyPem);
  if (credentials.token !== undefined) user.token = credentials.token;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "skiff",
      cluster: { "certificate-authority-data": btoa(endpoint.caPem), server: endpoint.url },
    }],
    contexts: [{ name: "skiff", context: { cluster: "skiff", user: "me" } }],
    "current-context": "skiff",
    users: [{ name: "me", user }],
  });
}
