/**
 * Client-certificate authentication: the TLS peer certificate must chain to the cluster CA, be
 * within its validity period and be meant for client authentication (Deno's TLS layer checks
 * none of this for a server). The user is the subject CN, the groups its O entries, plus
 * `system:authenticated`. The chain is verified once per connection; expiry on every request.
 *
 * @module
 */
import type * as pkijs from "pkijs";
import type { Clock } from "../../util/clock.ts";
import type { RequestUser } from "../handlers/context.ts";
import { parseCertificate, verifyClientCertificate } from "../pki/certificates.ts";
import { AUTHENTICATED_GROUP, type Authenticator, type ConnectionInfo } from "./authenticator.ts";

/** Options of {@linkcode X509Authenticator}. */
export interface X509AuthenticatorOptions {
  /** The trusted CAs (read on every verification, so a rotated CA takes effect). */
  readonly cas: () => readonly pkijs.Certificate[];
  readonly clock: Clock;
}

interface Verified {
  readonly user: RequestUser | null;
  readonly notAfterMs: number;
}

/** Authenticates TLS client certificates. */
export class X509Authenticator implements Authenticator {
  readonly #o: X509AuthenticatorOptions;
  readonly #byConnection = new WeakMap<object, Promise<Verified>>();

  constructor(options: X509AuthenticatorOptions) {
    this.#o = options;
  }

  async #verify(connection: ConnectionInfo): Promise<Verified> {
    const der = connection.peerCertificate!;
    const now = new Date(this.#o.clock.now());
    const res = await verifyClientCertificate(der, {
      cas: this.#o.cas(),
      intermediates: connection.peerChain ?? [],
      now,
    });
    if (!res.ok) return { user: null, notAfterMs: 0 };
    const notAfterMs = parseCertificate(der).notAfter.value.getTime();
    const groups = [...res.organizations];
    if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
    return { user: { username: res.commonName, groups }, notAfterMs };
  }

  async authenticate(_request: Request, connection: ConnectionInfo): Promise<RequestUser | null> {
    if (!connection.peerCertificate || connection.peerCertificate.length === 0) return null;
    const key = connection.connectionKey;
    let verified: Promise<Verified>;
    if (key) {
      verified = this.#byConnection.get(key) ?? this.#verify(connection);
      this.#byConnection.set(key, verified);
    } else {
      verified = this.#verify(connection);
    }
    const v = await verified;
    if (v.user === null || this.#o.clock.now() > v.notAfterMs) return null;
    return v.user;
  }
}
