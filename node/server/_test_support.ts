/**
 * Test helpers of the kubelet API: certificates made with `openssl` (a CA, a serving
 * certificate, client certificates) and a review fake that answers TokenReviews and
 * SubjectAccessReviews from tables.
 *
 * @module
 */
import { join } from "node:path";
import type {
  ApiReviews,
  KubeletUser,
  NodeRequestAttributes,
  TokenReviewAnswer,
} from "./kubelet_auth.ts";

async function openssl(args: string[], cwd: string): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
      .output();
  } catch (err) {
    throw new Error("Cannot run openssl to make test certificates (install openssl)", {
      cause: err,
    });
  }
  if (!out.success) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** A certificate and its key (PEM). */
export interface TestKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A CA that issues test certificates. */
export interface TestCa extends TestKeyPair {
  readonly dir: string;
  /** Issues a client certificate with subject `/O=…/CN=…`. */
  client(commonName: string, organizations?: readonly string[]): Promise<TestKeyPair>;
  /** Issues a serving certificate for 127.0.0.1 and localhost. */
  serving(): Promise<TestKeyPair>;
}

let serial = 1;

/** Makes a CA in `dir` (P-256 keys, one day). */
export async function makeTestCa(dir: string, name = "test-ca"): Promise<TestCa> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-subj",
    `/CN=${name}`,
    "-days",
    "1",
  ], dir);
  const issue = async (subject: string, ext: string): Promise<TestKeyPair> => {
    const id = `leaf-${serial++}`;
    await Deno.writeTextFile(join(dir, `${id}.ext`), ext);
    await openssl([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${id}.key`,
      "-out",
      `${id}.csr`,
      "-subj",
      subject,
    ], dir);
    await openssl([
      "x509",
      "-req",
      "-in",
      `${id}.csr`,
      "-CA",
      `${name}.crt`,
      "-CAkey",
      `${name}.key`,
      "-set_serial",
      String(serial++),
      "-out",
      `${id}.crt`,
      "-days",
      "1",
      "-extfile",
      `${id}.ext`,
    ], dir);
    return {
      certPem: await Deno.readTextFile(join(dir, `${id}.crt`)),
      keyPem: await Deno.readTextFile(join(dir, `${id}.key`)),
    };
  };
  return {
    dir,
    certPem: await Deno.readTextFile(join(dir, `${name}.crt`)),
    keyPem: await Deno.readTextFile(join(dir, `${name}.key`)),
    client: (cn, orgs = []) =>
      issue(`${orgs.map((o) => `/O=${o}`).join("")}/CN=${cn}`, "extendedKeyUsage=clientAuth\n"),
    serving: () =>
      issue(
        "/CN=kubelet",
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
      ),
  };
}

/** Answers reviews from tables, recording each. */
export class FakeReviews implements ApiReviews {
  /** Token → user. */
  readonly tokens = new Map<string, KubeletUser>();
  /** `user verb subresource` entries that are allowed. */
  readonly allowed = new Set<string>();
  readonly tokenCalls: string[] = [];
  readonly accessCalls: string[] = [];
  failAccess = false;

  reviewToken(token: string): Promise<TokenReviewAnswer> {
    this.tokenCalls.push(token);
    const user = this.tokens.get(token);
    return Promise.resolve(user ? { authenticated: true, user } : { authenticated: false });
  }

  reviewAccess(user: KubeletUser, attributes: NodeRequestAttributes): Promise<boolean> {
    const key = `${user.username} ${attributes.verb} ${attributes.subresource}`;
    this.accessCalls.push(`${key} ${attributes.name}`);
    if (this.failAccess) return Promise.reject(new Error("API server unreachable"));
    return Promise.resolve(this.allowed.has(key) || user.groups.includes("system:masters"));
  }
}
