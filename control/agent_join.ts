/**
 * How `skiff agent` gets its own credential (the flow `control/api/auth/node_credential.ts`
 * serves): it fetches the cluster CA from the public `GET /cacerts` without trusting the
 * connection, accepts it only when its SHA-256 is the one in the join token, then — over TLS
 * verified by that CA — posts the node name with the bootstrap token as bearer and keeps the
 * credential it gets (mode 0600) with the CA under `<data-dir>/agent/`. Later starts reuse them
 * and never send the join token again.
 *
 * @module
 */
import https from "node:https";
import { dirname } from "node:path";
import { writeFileAtomic } from "./util/atomic_file.ts";
import {
  CA_CERTS_PATH,
  caCertHash,
  joinTokenTrustsCa,
  NODE_CREDENTIAL_PATH,
  parseJoinToken,
} from "./api/auth/bootstrap_token.ts";
import { agentPaths } from "../node/agent/agent_paths.ts";
import { readTextFileIfPresent } from "./util/read_text_file_if_present.ts";

/** The credential a joined agent uses. */
export interface NodeCredentials {
  /** The bearer token `skiff-node:<name>:<secret>`. */
  readonly token: string;
  /** The cluster CA (PEM) the server's certificate must chain to. */
  readonly caCertPem: string;
}

/** What {@linkcode ensureNodeCredentials} needs. */
export interface JoinOptions {
  readonly server: string;
  readonly dataDir: string;
  readonly nodeName: string;
  /** The join token; needed only when no credential is stored yet. */
  readonly joinToken: string | null;
}

/** Joining failed: the message says why and what to do. */
export class JoinError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JoinError";
  }
}

/** `GET /cacerts` without verifying the server: what it says is checked against the token. */
function fetchCaUnverified(server: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(`${server}${CA_CERTS_PATH}`, { rejectUnauthorized: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.length > 64 * 1024) request.destroy(new Error("the CA answer is too large"));
      });
      res.on("end", () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${CA_CERTS_PATH} answered ${res.statusCode}`));
      });
    });
    request.on("error", reject);
    request.setTimeout(30_000, () => request.destroy(new Error("no answer within 30 s")));
  });
}

async function requestCredential(
  options: JoinOptions & { caCertPem: string; bootstrapToken: string },
): Promise<string> {
  using client = Deno.createHttpClient({ caCerts: [options.caCertPem] });
  const response = await fetch(`${options.server}${NODE_CREDENTIAL_PATH}`, {
    method: "POST",
    client,
    headers: {
      authorization: `Bearer ${options.bootstrapToken}`,
      "content-type": "application/json",
      accept: "application/json",
    },
    body: JSON.stringify({ nodeName: options.nodeName }),
  });
  const text = await response.text();
  if (response.status === 409) {
    throw new JoinError(
      `Cannot join as node "${options.nodeName}": the cluster already has a credential for it; ` +
        `delete Secret kube-system/node-credential-${options.nodeName} to let it join again`,
    );
  }
  if (response.status !== 201) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch { /* not JSON */ }
    throw new JoinError(
      `Cannot join as node "${options.nodeName}": the server answered ${response.status}: ${message}`,
    );
  }
  const token = (JSON.parse(text) as { token?: unknown }).token;
  if (typeof token !== "string" || token === "") {
    throw new JoinError(`Cannot join as node "${options.nodeName}": the answer has no credential`);
  }
  return token;
}

/**
 * The node's credential: the stored one, or a new one obtained with the join token (see the
 * module doc). Throws {@linkcode JoinError} saying what went wrong.
 */
export async function ensureNodeCredentials(options: JoinOptions): Promise<NodeCredentials> {
  const paths = agentPaths(options.dataDir);
  const [storedToken, storedCa] = await Promise.all([
    readTextFileIfPresent(paths.credential),
    readTextFileIfPresent(paths.caCert),
  ]);
  if (storedToken !== null && storedCa !== null && storedToken.trim() !== "") {
    return { token: storedToken.trim(), caCertPem: storedCa };
  }
  if (options.joinToken === null) {
    throw new JoinError(
      `Cannot join the cluster: no credential in "${paths.credential}" and no --token given`,
    );
  }
  let join;
  try {
    join = parseJoinToken(options.joinToken);
  } catch (err) {
    throw new JoinError(`Invalid --token: ${(err as Error).message}`, { cause: err });
  }
  let caCertPem: string;
  try {
    caCertPem = await fetchCaUnverified(options.server);
  } catch (err) {
    throw new JoinError(
      `Cannot fetch the cluster CA from ${options.server}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!joinTokenTrustsCa(join, caCertPem)) {
    throw new JoinError(
      `Cannot join ${options.server}: its CA (sha256 ${caCertHash(caCertPem)}) is not the one ` +
        "the join token names",
    );
  }
  const token = await requestCredential({ ...options, caCertPem, bootstrapToken: join.token });
  await Deno.mkdir(dirname(paths.caCert), { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.caCert, { data: caCertPem, mode: 0o644 });
  await writeFileAtomic(paths.credential, { data: `${token}\n`, mode: 0o600 });
  return { token, caCertPem };
}
