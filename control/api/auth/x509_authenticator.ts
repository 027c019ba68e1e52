/**
 * Client-certificate authentication: the TLS peer certificate must chain to the cluster CA, be
 * within its validity period and be meant for client authentication (Deno's TLS layer checks
 * none of this for a server). The user is the subject CN, the groups its O entries, plus
 * `system:authenticated`. The chain is verified once per connection and remembered per
 * certificate (new connections of a known client skip the ~2 ms chain check); expiry is
 * checked on every request.
 *
 * The leaf must be signed by a trusted CA itself: certificates the client sends after its leaf
 * are ignored. skiff's CA issues no intermediate CAs, and a client-supplied chain is exactly
 * what a forger controls — given one, pkijs's chain engine validates the *last* certificate of
 * the list it is handed, so a self-signed leaf followed by any genuine certificate (the public
 * serving certificate will do) would pass as the leaf's own chain.
 *
 * @module
 */
import type * as pkijs from "pkijs";
import type { Clock } from "../../util/clock.ts";
import type { RequestUser } from "../handlers/context.ts";
import { parseCertificate, verifyClientCertificate } from "../../util/x509/certificates.ts";
import {
  AUTHENTICATED_GROUP,
  AuthenticationError,
  type Authenticator,
  type ConnectionInfo,
} from "./authenticator.ts";

/** Options of {@linkcode X509Authenticator}. */
export interface X509AuthenticatorOptions {
  /** The trusted CAs (read on every verification, so a rotated CA takes effect). */
  readonly cas: () => readonly pkijs.Certificate[];
  readonly clock: Clock;
  /** Verifies one certificate (tests count calls). @default {verifyClientCertificate} */
  readonly verify?: typeof verifyClientCertificate;
}

interface Verified {
  readonly user: RequestUser | null;
  readonly notAfterMs: number;
  /** Why the certificate was refused. */
  readonly reason?: string;
}

/** Certificates whose verification is remembered. */
const CACHE_SIZE = 256;

function derKey(der: Uint8Array): string {
  let s = "";
  for (let i = 0; i < der.length; i += 4096) {
    s += String.fromCharCode(...der.subarray(i, i + 4096));
  }
  return s;
}

/** Authenticates TLS client certificates. */
export class X509Authenticator implements Authenticator {
  readonly #o: X509AuthenticatorOptions;
  readonly #byConnection = new WeakMap<object, Promise<Verified>>();
  /** Verified certificates by DER, for the CA list they were verified against. */
  #byCertificate = new Map<string, Promise<Verified>>();
  #cachedFor: readonly pkijs.Certificate[] | null = null;

  constructor(options: X509AuthenticatorOptions) {
    this.#o = options;
  }

  #verifyCached(connection: ConnectionInfo): Promise<Verified> {
    const cas = this.#o.cas();
    const sameCas = this.#cachedFor !== null && cas.length === this.#cachedFor.length &&
      cas.every((c, i) => c === this.#cachedFor![i]);
    if (!sameCas) {
      this.#byCertificate.clear();
      this.#cachedFor = cas;
    }
    const key = derKey(connection.peerCertificate!);
    let v = this.#byCertificate.get(key);
    if (v) {
      // Most recently used last.
      this.#byCertificate.delete(key);
    } else {
      v = this.#verify(connection, cas);
      if (this.#byCertificate.size >= CACHE_SIZE) {
        this.#byCertificate.delete(this.#byCertificate.keys().next().value!);
      }
    }
    this.#byCertificate.set(key, v);
    return v;
  }

  async #verify(
    connection: ConnectionInfo,
    cas: readonly pkijs.Certificate[],
  ): Promise<Verified> {
    const der = connection.peerCertificate!;
    const now = new Date(this.#o.clock.now());
    const res = await (this.#o.verify ?? verifyClientCertificate)(der, {
      cas,
      // Never the client's chain (see the module doc): the leaf verifies against `cas` alone.
      intermediates: [],
      now,
    });
    if (!res.ok) return { user: null, notAfterMs: 0, reason: res.reason };
    const notAfterMs = parseCertificate(der).notAfter.value.getTime();
    const groups = [...res.organizations];
    if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
    return { user: { username: res.commonName, groups }, notAfterMs };
  }

  async authenticate(_request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    if (connection.peerCertificateError !== undefined) {
      throw new AuthenticationError(
        `Client certificate refused: malformed certificate: ${connection.peerCertificateError}`,
      );
    }
    if (!connection.peerCertificate || connection.peerCertificate.length === 0) return null;
    const key = connection.connectionKey;
    let verified: Promise<Verified>;
    if (key) {
      verified = this.#byConnection.get(key) ?? this.#verifyCached(connection);
      this.#byConnection.set(key, verified);
    } else {
      verified = this.#verifyCached(connection);
    }
    const v = await verified;
    if (v.user === null) {
      throw new AuthenticationError(`Client certificate refused: ${v.reason ?? "not valid"}`);
    }
    if (this.#o.clock.now() > v.notAfterMs) {
      throw new AuthenticationError("Client certificate refused: it has expired");
    }
    return v.user;
  }
}
