/**
 * Fuzzing of the authentication path of the real `skiff server` over HTTPS: about 300
 * malformed credentials from a seeded PRNG (the seed is in the first step's name; set
 * `SKIFF_FUZZ_SEED` to replay one). Every input must be answered within 2 s with what
 * kube-apiserver answers: 401 for a presented credential that is not valid (on `/healthz` too),
 * the anonymous answer (401 on the API, 200 on the public paths) for what is no credential at
 * all (`Basic …`, an empty bearer token — upstream's bearer-token rules decide which is which),
 * 400 for a header value with control characters, 431 for a request head over the server's
 * 64 KiB limit. Afterwards the server is ready, serves the admin, and logged no error.
 *
 * - Authorization headers, written byte for byte ({@linkcode rawHttpsExchange}): random
 *   base64url segments, mutations of a genuine ServiceAccount token, JWTs with random headers
 *   and claims of the wrong types (`exp` as a string, `aud` as an object, nested garbage) under
 *   this server's issuer and key id, tokens signed with the server's own key (read from the
 *   data dir) whose claims have the wrong type or value — so the claims checks, not the
 *   signature check, must refuse them — bootstrap-token and node-credential look-alikes (node
 *   and network forms), 60 KiB and 64 KiB tokens, non-ASCII bytes, scheme and spacing variants,
 *   two `Authorization` headers, WebSocket bearer subprotocols.
 * - Client certificates: bit flips of a certificate the cluster CA signed, truncations, random
 *   bytes, self-signed ones with random subjects. Deno's TLS client only sends a certificate
 *   it can parse whose key matches the private key it is given, so truncations, random bytes
 *   and flips in the DER structure or public key never leave the client; the step names count
 *   how many were sent (each must get 401), refused by the client, or refused by the server's
 *   TLS handshake (what kube-apiserver does with a certificate it cannot parse).
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadKeyPairCertificate, pemToDer } from "../../control/util/x509/certificates.ts";
import {
  certificatePem,
  forgeCertificate,
  type StringKind,
} from "../_support/forged_certificates.ts";
import { base64Url, decodeJwt, encodeJwt, signJwt } from "../_support/forged_tokens.ts";
import {
  type ClusterEndpoint,
  HttpsIdentity,
  issueUserCertificate,
  readAdminKubeconfig,
} from "../_support/identities.ts";
import { rawHttpsExchange } from "../_support/raw_https.ts";
import { startTestServer } from "../_support/skiff_server.ts";

/** Each input must be answered within this. */
const DEADLINE_MS = 2000;

const UNAUTHORIZED = {
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "Unauthorized",
  reason: "Unauthorized",
  code: 401,
};

const PUBLIC_PATHS = ["/healthz", "/livez", "/readyz", "/version"];
const API_PATHS = ["/api/v1/namespaces", "/apis", "/api/v1/namespaces/kube-system/secrets"];

// --- randomness ---------------------------------------------------------------------------------

/** mulberry32: small, fast and good enough to pick test inputs; the same seed, the same run. */
class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** `n` characters of `alphabet`. */
  text(n: number, alphabet: string): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";
const UNICODE = ["é", "ß", "Ω", "中", "🔑", "\u200b", "\u202e", "\ufeff", "\ud7ff", "a", " "];

function unicodeText(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += rng.pick(UNICODE);
  return s;
}

/** Any JSON value, nested up to `depth`. */
function randomJson(rng: Rng, depth: number): unknown {
  switch (rng.int(0, depth > 0 ? 8 : 5)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1e300, -1e300, 2 ** 53 + 1, 0.5, 1e-300, 4102444800]);
    case 3:
      return rng.text(rng.int(0, 40), B64URL + ":./ ");
    case 4:
      return unicodeText(rng, rng.int(1, 20));
    case 5:
      return rng.pick(["", "system:masters", "system:admin", "9999999999", "true", "null"]);
    case 6:
    case 7: {
      const obj: Record<string, unknown> = {};
      const keys = ["name", "uid", "namespace", "serviceaccount", "pod", "__proto__", "a", ""];
      for (let i = rng.int(0, 4); i > 0; i--) obj[rng.pick(keys)] = randomJson(rng, depth - 1);
      return obj;
    }
    default:
      return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth - 1));
  }
}

// --- what the server must answer ----------------------------------------------------------------

/** What an input must get. */
type Expected =
  /** A presented credential: 401 on every path. */
  | "unauthorized"
  /** No credential at all: anonymous, 401 on the API and 200 on the public paths. */
  | "anonymous"
  /** A header value with control characters. */
  | "bad-request"
  /** A request head over the server's 64 KiB limit. */
  | "too-large";

/**
 * Whether kube-apiserver's bearer-token authenticator takes `value` (one `Authorization`
 * header, as Go reads it) as a token: trimmed, split on single spaces, scheme `bearer` in any
 * case, a non-empty second part.
 */
function isBearerCredential(value: string): boolean {
  const auth = value.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, "");
  if (auth === "") return false;
  const parts = auth.split(" ");
  return parts.length >= 2 && parts[0]!.toLowerCase() === "bearer" && parts[1] !== "";
}

/** One input: request headers (raw lines, without CRLF) and what the answer must be. */
interface HeaderCase {
  readonly kind: string;
  readonly lines: readonly (string | Uint8Array)[];
  readonly expected: Expected;
}

function authorization(kind: string, value: string | Uint8Array): HeaderCase {
  const text = typeof value === "string" ? value : new TextDecoder("latin1").decode(value);
  // deno-lint-ignore no-control-regex
  const expected: Expected = /[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)
    ? "bad-request"
    : isBearerCredential(text)
    ? "unauthorized"
    : "anonymous";
  const line = typeof value === "string"
    ? `Authorization: ${value}`
    : concat([new TextEncoder().encode("Authorization: "), value]);
  return { kind, lines: [line], expected };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

// --- the inputs ---------------------------------------------------------------------------------

interface Known {
  /** This server's ServiceAccount token issuer and signing key id. */
  readonly issuer: string;
  readonly kid: string;
  /** A genuine ServiceAccount token (default/default). */
  readonly token: string;
  /** A join token's id. */
  readonly joinId: string;
}

function randomSegments(rng: Rng): string {
  return Array.from({ length: rng.int(1, 5) }, () => rng.text(rng.int(0, 120), B64URL)).join(".");
}

function mutateToken(rng: Rng, token: string): string {
  switch (rng.int(0, 5)) {
    case 0: {
      const i = rng.int(0, token.length - 1);
      const c = token[i] === "A" ? "B" : "A";
      return token.slice(0, i) + c + token.slice(i + 1);
    }
    case 1:
      return token.slice(0, rng.int(0, token.length - 1));
    case 2: {
      const i = rng.int(0, token.length);
      return token.slice(0, i) + rng.pick([".", "=", "+", "/", "%", "~", "é"]) + token.slice(i);
    }
    case 3: {
      const [h, p, s] = token.split(".");
      return rng.pick([`${h}.${h}.${s}`, `${p}.${h}.${s}`, `${h}.${p}`, `${h}.${p}.${s}.${s}`]);
    }
    case 4:
      return `${token}${rng.text(rng.int(1, 8), B64URL)}`;
    default:
      return token.replace(
        /[A-Za-z]/,
        (c) => c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase(),
      );
  }
}

/** A JWT under this server's issuer and kid whose header and claims are wrong in some way. */
function randomJwt(rng: Rng, known: Known): string {
  const header: Record<string, unknown> = {
    alg: rng.pick(["ES256", "ES256", "none", "HS256", "RS256", "ES512", "", null, 256]),
    ...(rng.chance(0.7) ? { kid: rng.chance(0.8) ? known.kid : randomJson(rng, 1) } : {}),
    ...(rng.chance(0.2) ? { typ: randomJson(rng, 1) } : {}),
    ...(rng.chance(0.1) ? { crit: ["exp"] } : {}),
  };
  const genuine = decodeJwt(known.token).payload;
  const claims: Record<string, unknown> = rng.chance(0.5) ? { ...genuine } : {};
  claims.iss = rng.chance(0.85) ? known.issuer : randomJson(rng, 1);
  for (const claim of ["aud", "exp", "iat", "nbf", "sub", "jti", "kubernetes.io"]) {
    if (rng.chance(0.4)) claims[claim] = randomJson(rng, 3);
  }
  if (rng.chance(0.3)) {
    claims.exp = rng.pick(["9999999999", 1e300, -1, 0.5, [1], { at: 1 }, true]);
  }
  if (rng.chance(0.3)) claims.aud = rng.pick([{ aud: known.issuer }, [], [1, 2], "", [null]]);
  const payload = rng.chance(0.05) ? randomJson(rng, 2) : claims;
  const signature = rng.pick([
    "",
    base64Url(rng.bytes(64)),
    base64Url(rng.bytes(rng.int(1, 200))),
    decodeJwt(known.token).signature,
    rng.text(rng.int(1, 100), B64URL + "+/="),
  ]);
  return encodeJwt({ header, payload }, signature);
}

/** A value `claim` cannot have in a valid ServiceAccount token. */
function invalidClaim(rng: Rng, claim: string, known: Known): unknown {
  const nowSeconds = Math.floor(Date.now() / 1000);
  switch (claim) {
    case "exp":
      return rng.pick([String(nowSeconds + 3600), {}, [nowSeconds + 3600], true, -1, 0, 1]);
    case "nbf":
      return rng.pick([nowSeconds + 86400, String(nowSeconds), { t: 1 }, [1]]);
    case "iat":
      return rng.pick([nowSeconds + 86400, String(nowSeconds), { t: 1 }, false]);
    case "aud":
      return rng.pick([{ aud: known.issuer }, 42, ["other"], "other", [1], true, [[known.issuer]]]);
    default: {
      const genuine = decodeJwt(known.token).payload["kubernetes.io"] as Record<string, unknown>;
      return rng.pick([
        randomJson(rng, 3),
        { ...genuine, serviceaccount: { name: "default", uid: crypto.randomUUID() } },
        { ...genuine, namespace: rng.pick([42, "", "kube-system", null]) },
        { ...genuine, serviceaccount: rng.pick(["default", null, [], { uid: 1 }]) },
        { ...genuine, pod: { name: "ghost", uid: crypto.randomUUID() } },
        { ...genuine, secret: rng.pick([{ name: "ghost", uid: "u" }, "s", 1]) },
        "default",
      ]);
    }
  }
}

/**
 * A token signed with this server's own key whose claims are wrong: the claims parser and
 * validator, not the signature check, must refuse it. (An attacker has no such key; the
 * inputs test that malformed claims fail cleanly once a signature verifies.)
 */
async function signedWithBadClaims(rng: Rng, o: { known: Known; key: CryptoKey }): Promise<string> {
  const { header, payload } = decodeJwt(o.known.token);
  const claims: Record<string, unknown> = { ...payload };
  const broken = ["exp", "nbf", "iat", "aud", "kubernetes.io"];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const claim = rng.pick(broken);
    claims[claim] = invalidClaim(rng, claim, o.known);
  }
  return await signJwt({ header, payload: claims }, { alg: "ES256", key: o.key });
}

function headerCases(rng: Rng, known: Known): HeaderCase[] {
  const cases: HeaderCase[] = [];
  const add = (n: number, kind: string, make: () => string) => {
    for (let i = 0; i < n; i++) cases.push(authorization(kind, make()));
  };
  add(40, "random base64url segments", () => `Bearer ${randomSegments(rng)}`);
  add(30, "a mutated genuine token", () => `Bearer ${mutateToken(rng, known.token)}`);
  add(60, "a JWT with random header and claims", () => `Bearer ${randomJwt(rng, known)}`);
  add(20, "a bootstrap-token look-alike", () => {
    const id = rng.chance(0.3) ? known.joinId : rng.text(rng.int(5, 7), LOWER_DIGITS);
    const secret = rng.text(rng.int(15, 17), rng.chance(0.2) ? B64URL : LOWER_DIGITS);
    return `Bearer ${rng.chance(0.1) ? id.toUpperCase() : id}${rng.pick([".", ":", ""])}${secret}`;
  });
  add(15, "a node-credential look-alike", () => {
    const node = rng.pick(["node-a", "NODE", "", "a".repeat(300), "x.y", unicodeText(rng, 3)]);
    const prefix = rng.pick(["skiff-node:", "skiff-node-network:", "skiff-node-networks:"]);
    return `Bearer ${prefix}${node}:${rng.text(rng.int(40, 45), B64URL + ":")}`;
  });
  add(15, "scheme and spacing variants", () => {
    const token = rng.chance(0.5) ? randomSegments(rng) : mutateToken(rng, known.token);
    return rng.pick([
      `bearer ${token}`,
      `BEARER ${token}`,
      `Bearer  ${token}`,
      `Bearer ${token} trailing`,
      `Bearer\t${token}`,
      `Token ${token}`,
      `${token}`,
      "Bearer",
      "Bearer ",
      "",
      `Basic ${btoa(`admin:${rng.text(8, LOWER_DIGITS)}`)}`,
      `Basic ${btoa("system:admin:")}`,
      `Negotiate ${token}`,
    ]);
  });
  add(10, "non-ASCII (UTF-8) text", () => `Bearer ${unicodeText(rng, rng.int(1, 30))}`);
  for (let i = 0; i < 10; i++) {
    // Raw bytes: obs-text (0x80-0xff) is allowed in a header value, control characters are not.
    const bytes = rng.bytes(rng.int(1, 60)).map((b) =>
      rng.chance(0.9) ? 0x80 | b : b === 0x0a || b === 0x0d ? 0x01 : b & 0x1f
    );
    // Not a NO-BREAK SPACE (0xa0) at either end: the server trims it as whitespace where Go
    // keeps the lone byte, which would make the token empty here and not there.
    for (const at of [0, bytes.length - 1]) if (bytes[at] === 0xa0) bytes[at] = 0xa1;
    cases.push(
      authorization("raw non-ASCII bytes", concat([new TextEncoder().encode("Bearer "), bytes])),
    );
  }
  cases.push(authorization("a 60 KiB token", `Bearer ${rng.text(60 * 1024, B64URL)}`));
  cases.push(
    authorization(
      "a 60 KiB JWT-shaped token",
      `Bearer ${rng.text(20 * 1024, B64URL)}.${rng.text(20 * 1024, B64URL)}.${
        rng.text(20 * 1024, B64URL)
      }`,
    ),
  );
  cases.push({
    kind: "a 64 KiB token",
    lines: [`Authorization: Bearer ${rng.text(64 * 1024, B64URL)}`],
    expected: "too-large",
  });
  for (let i = 0; i < 10; i++) {
    const junk = () => `Bearer ${randomSegments(rng)}`;
    const pair = rng.pick([
      [junk(), junk()],
      [`Basic ${btoa("admin:admin")}`, junk()],
      [junk(), `Bearer ${known.token}`],
      [junk(), ""],
    ]);
    cases.push({
      kind: "two Authorization headers",
      lines: pair.map((v) => `Authorization: ${v}`),
      // kube-apiserver reads the first header only.
      expected: isBearerCredential(pair[0]!) ? "unauthorized" : "anonymous",
    });
  }
  for (let i = 0; i < 10; i++) {
    // A token that decodes to nothing is no token at all (anonymous): keep it non-empty.
    const token = (rng.chance(0.5) ? randomSegments(rng) : mutateToken(rng, known.token)) || "x";
    const encoded = rng.chance(0.8) ? base64Url(token) : rng.text(rng.int(1, 40), B64URL + "=+/");
    cases.push({
      kind: "a WebSocket bearer subprotocol",
      lines: [
        "Connection: Upgrade",
        "Upgrade: websocket",
        "Sec-WebSocket-Version: 13",
        `Sec-WebSocket-Key: ${btoa(rng.text(16, LOWER_DIGITS))}`,
        `Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.${encoded}${
          rng.chance(0.8) ? ", v4.channel.k8s.io" : ""
        }`,
      ],
      expected: "unauthorized",
    });
  }
  return cases;
}

/** Whether `res` is what `expected` says for `path`; the problem, or null. */
function problem(
  res: { status: number; body: string },
  o: { expected: Expected; path: string },
): string | null {
  let want: number;
  switch (o.expected) {
    case "unauthorized":
      want = 401;
      break;
    case "anonymous":
      want = PUBLIC_PATHS.includes(o.path) ? 200 : 401;
      break;
    case "bad-request":
      want = 400;
      break;
    case "too-large":
      want = 431;
      break;
  }
  if (res.status !== want) return `answered ${res.status}, want ${want}: ${res.body.slice(0, 200)}`;
  if (want === 401) {
    try {
      assert.deepEqual(JSON.parse(res.body), UNAUTHORIZED);
    } catch {
      return `the 401 body is ${res.body.slice(0, 200)}`;
    }
  }
  return null;
}

// --- client certificates ------------------------------------------------------------------------

interface CertificateCase {
  readonly kind: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const STRING_KINDS: readonly StringKind[] = ["utf8", "printable", "ia5", "bmp", "teletex"];

async function certificateCases(
  rng: Rng,
  o: { dataDir: string },
): Promise<CertificateCase[]> {
  const cases: CertificateCase[] = [];
  const genuine = await issueUserCertificate(o.dataDir, {
    commonName: "system:admin",
    organizations: ["system:masters"],
  });
  const der = (await loadKeyPairCertificate(genuine.certPem, genuine.keyPem)).der;
  for (let i = 0; i < 50; i++) {
    const flipped = new Uint8Array(der);
    // Distinct bits: the same bit flipped twice would give back the genuine certificate.
    const bits = new Set<number>();
    const count = rng.int(1, 3);
    while (bits.size < count) bits.add(rng.int(0, der.length * 8 - 1));
    for (const bit of bits) flipped[bit >> 3]! ^= 1 << (bit & 7);
    cases.push({ kind: "bit-flipped", certPem: certificatePem(flipped), keyPem: genuine.keyPem });
  }
  for (let i = 0; i < 10; i++) {
    cases.push({
      kind: "truncated",
      certPem: certificatePem(der.subarray(0, rng.int(0, der.length - 1))),
      keyPem: genuine.keyPem,
    });
  }
  for (let i = 0; i < 5; i++) {
    cases.push({
      kind: "random bytes",
      certPem: certificatePem(rng.bytes(rng.int(1, 600))),
      keyPem: genuine.keyPem,
    });
  }
  const now = Date.now();
  for (let i = 0; i < 15; i++) {
    const subject = Array.from({ length: rng.int(0, 6) }, () => ({
      type: rng.pick(["CN", "O", "OU"] as const),
      value: rng.chance(0.2)
        ? rng.text(rng.int(0, 2000), LOWER_DIGITS)
        : rng.pick(["system:admin", "system:masters", "", unicodeText(rng, 5), "a,b=c"]),
      kind: rng.pick(STRING_KINDS),
    })).filter((a) => a.kind !== "printable" || /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(a.value));
    try {
      const forged = await forgeCertificate({
        subject,
        notBefore: new Date(now - rng.int(0, 1e9)),
        notAfter: new Date(now + rng.int(-1e6, 1e10)),
        extKeyUsage: rng.pick([null, ["1.3.6.1.5.5.7.3.2"], ["2.5.29.37.0"], []]),
        ca: rng.chance(0.3),
      });
      cases.push({ kind: "self-signed, random subject", ...forged });
    } catch {
      // pkijs cannot encode that subject: nothing to send.
    }
  }
  return cases;
}

type CertificateOutcome = "sent" | "refused by the client" | "refused in the handshake";

/** Presents one certificate on `path`; throws unless the server refuses it as it must. */
async function presentCertificate(
  endpoint: ClusterEndpoint,
  o: { certificate: CertificateCase; path: string },
): Promise<CertificateOutcome> {
  let id: HttpsIdentity;
  try {
    id = new HttpsIdentity(o.certificate.kind, { endpoint, credentials: o.certificate });
  } catch {
    return "refused by the client";
  }
  try {
    const started = performance.now();
    let res;
    try {
      res = await id.request("GET", o.path, { timeoutMs: DEADLINE_MS });
    } catch (err) {
      if (err instanceof DOMException && err.name === "TimeoutError") throw err;
      // The client refuses its own certificate at the handshake, or the server does.
      return /peer certificate|keys may not be consistent/.test(String(err))
        ? "refused by the client"
        : "refused in the handshake";
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < DEADLINE_MS, `answered after ${elapsed} ms`);
    const wrong = problem({ status: res.status, body: res.text }, {
      expected: "unauthorized",
      path: o.path,
    });
    if (wrong) throw new Error(wrong);
    return "sent";
  } finally {
    id[Symbol.dispose]();
  }
}

// --- the test -----------------------------------------------------------------------------------

function fuzzSeed(): number {
  const text = Deno.env.get("SKIFF_FUZZ_SEED");
  if (text === undefined || text === "") return crypto.getRandomValues(new Uint32Array(1))[0]!;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Cannot use SKIFF_FUZZ_SEED "${text}": expected an integer 0..4294967295`);
  }
  return seed;
}

Deno.test("skiff server answers malformed credentials with 401 in time and keeps serving", async (t) => {
  const seed = fuzzSeed();
  const rng = new Rng(seed);
  await using server = await startTestServer();
  const { endpoint, credentials } = await readAdminKubeconfig(server.kubeconfig);
  using admin = new HttpsIdentity("admin", { endpoint, credentials });
  const discovery = await admin.expect(200, {
    method: "GET",
    path: "/.well-known/openid-configuration",
  });
  const jwks = await admin.expect(200, { method: "GET", path: "/openid/v1/jwks" });
  const tokenRequest = await admin.expect(201, {
    method: "POST",
    path: "/api/v1/namespaces/default/serviceaccounts/default/token",
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} },
  });
  const known: Known = {
    issuer: discovery.issuer as string,
    kid: (jwks.keys as { kid: string }[])[0]!.kid,
    token: (tokenRequest.status as { token: string }).token,
    joinId: rng.text(6, LOWER_DIGITS),
  };
  const failures: string[] = [];
  const where = (kind: string, i: number) => `seed ${seed}, input ${i} (${kind})`;

  await t.step(`seed ${seed} (SKIFF_FUZZ_SEED=${seed} replays this run)`, () => {});

  const serverKey = await crypto.subtle.importKey(
    "pkcs8",
    pemToDer(await Deno.readTextFile(`${server.dataDir}/tls/service-account.key`), "PRIVATE KEY"),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  await t.step("genuine credentials pass both paths (the control)", async () => {
    const token = await rawHttpsExchange(endpoint, {
      request: `GET /api HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${known.token}\r\n` +
        "Connection: close\r\n\r\n",
      timeoutMs: DEADLINE_MS,
    });
    assert.equal(token.status, 200, token.body);
    // The genuine claims signed again with the server's key pass too: the refusals of the
    // server-signed inputs below are their claims'.
    const resigned = await signJwt(decodeJwt(known.token), { alg: "ES256", key: serverKey });
    using signed = new HttpsIdentity("re-signed", { endpoint, credentials: { token: resigned } });
    assert.equal((await signed.request("GET", "/api")).status, 200);
    const cert = await issueUserCertificate(server.dataDir, {
      commonName: "fuzz",
      organizations: ["system:masters"],
    });
    using id = new HttpsIdentity("fuzz", { endpoint, credentials: cert });
    assert.equal((await id.request("GET", "/api/v1/namespaces")).status, 200);
  });

  const headers = headerCases(rng, known);
  for (let i = 0; i < 30; i++) {
    const token = await signedWithBadClaims(rng, { known, key: serverKey });
    headers.push(
      authorization("server-signed, claims of the wrong type or value", `Bearer ${token}`),
    );
  }
  await t.step(`${headers.length} Authorization headers`, async () => {
    let i = 0;
    for (const c of headers) {
      const path = rng.pick([...API_PATHS, ...PUBLIC_PATHS]);
      const head = concat([
        new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`),
        ...c.lines.flatMap((l) => [
          typeof l === "string" ? new TextEncoder().encode(l) : l,
          new TextEncoder().encode("\r\n"),
        ]),
        new TextEncoder().encode("Connection: close\r\n\r\n"),
      ]);
      const started = performance.now();
      try {
        const res = await rawHttpsExchange(endpoint, { request: head, timeoutMs: DEADLINE_MS });
        const wrong = problem(res, { expected: c.expected, path });
        if (wrong) failures.push(`${where(c.kind, i)}: GET ${path}: ${wrong}`);
      } catch (err) {
        failures.push(
          `${where(c.kind, i)}: GET ${path}: ${err} after ${performance.now() - started} ms`,
        );
      }
      i++;
    }
    assert.deepEqual(failures, []);
  });

  const certificates = await certificateCases(rng, { dataDir: server.dataDir });
  const outcomes = new Map<CertificateOutcome, number>();
  await t.step(`${certificates.length} client certificates`, async (t) => {
    let i = 0;
    for (const certificate of certificates) {
      const path = rng.pick([...API_PATHS, ...PUBLIC_PATHS]);
      try {
        const outcome = await presentCertificate(endpoint, { certificate, path });
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      } catch (err) {
        failures.push(`${where(certificate.kind, i)}: GET ${path}: ${err}`);
      }
      i++;
    }
    const count = (o: CertificateOutcome) => outcomes.get(o) ?? 0;
    await t.step(
      `${count("sent")} sent and refused with 401, ${count("refused by the client")} refused ` +
        `by Deno's TLS client, ${count("refused in the handshake")} refused in the handshake`,
      () => {
        assert.deepEqual(failures, []);
        // Most bit flips land in fields the TLS client does not check: they reach the server.
        assert.ok(count("sent") >= 15, `only ${count("sent")} certificates reached the server`);
      },
    );
  });

  await t.step("the server is ready, serves the admin and logged no error", async () => {
    const ready = await admin.request("GET", "/readyz");
    assert.equal(ready.status, 200, ready.text);
    const namespaces = await admin.request("GET", "/api/v1/namespaces");
    assert.equal(namespaces.status, 200, namespaces.text);
    assert.equal(namespaces.json?.kind, "NamespaceList");
    const errors = server.logTail(400).split("\n").filter((line) =>
      /"level":"error"|Uncaught|Unhandled/.test(line)
    );
    assert.deepEqual(errors, []);
  });
});
