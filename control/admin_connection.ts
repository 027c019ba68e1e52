/**
 * The admin kubeconfig as a client: the command-line tools that talk to a running server
 * (`skiff token`, `skiff secrets-encrypt`) read `<data-dir>/kubeconfig.yaml`, verify the server
 * by the cluster CA in it and present its client certificate.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";

/** The TLS material of the admin kubeconfig. */
export interface ApiTls {
  readonly serverUrl: string;
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** An HTTPS client for one server; closed when disposed. */
export interface ApiConnection extends Disposable {
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

/** An HTTPS client that verifies the server by `tls.caCertPem` and presents the client cert. */
export function connectWithDenoHttpClient(tls: ApiTls): ApiConnection {
  const client = Deno.createHttpClient({
    caCerts: [tls.caCertPem],
    cert: tls.certPem,
    key: tls.keyPem,
  });
  return {
    fetch: (url, init) => fetch(url, { ...init, client }),
    [Symbol.dispose]: () => client.close(),
  };
}

interface Kubeconfig {
  readonly clusters?: { cluster?: Record<string, unknown> }[];
  readonly users?: { user?: Record<string, unknown> }[];
}

function decodeBase64Text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  try {
    const binary = atob(value);
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The server URL and TLS material of an admin kubeconfig (skiff writes one cluster, one user). */
export function parseAdminKubeconfig(text: string): ApiTls {
  let doc: Kubeconfig;
  try {
    doc = (parseYaml(text) ?? {}) as Kubeconfig;
  } catch (err) {
    throw new SyntaxError("Cannot parse kubeconfig: not YAML", { cause: err });
  }
  const cluster = doc.clusters?.[0]?.cluster ?? {};
  const user = doc.users?.[0]?.user ?? {};
  const serverUrl = cluster.server;
  const caCertPem = decodeBase64Text(cluster["certificate-authority-data"]);
  const certPem = decodeBase64Text(user["client-certificate-data"]);
  const keyPem = decodeBase64Text(user["client-key-data"]);
  if (typeof serverUrl !== "string" || !caCertPem || !certPem || !keyPem) {
    throw new SyntaxError(
      "Cannot parse kubeconfig: expected a server, certificate-authority-data, " +
        "client-certificate-data and client-key-data",
    );
  }
  return { serverUrl, caCertPem, certPem, keyPem };
}

/** The `message` of a Status response, or what the status code says when there is none. */
export async function statusMessage(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === "string") return body.message;
  } catch {
    // not a Status
  }
  return `the server answered ${res.status}`;
}
