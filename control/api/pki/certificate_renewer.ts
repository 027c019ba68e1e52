/**
 * Online renewal of the cluster's leaf certificates, so that a certificate's first birthday is
 * not an outage: while the server runs, the serving and admin certificates are reissued with the
 * same CA when less than `RENEW_BEFORE_MS` (90 days) of them is left, written atomically, the
 * kubeconfig rewritten, and the new certificates handed to `onRenewed` (which swaps the
 * listener's certificate; open connections keep theirs). Clients holding the old admin
 * certificate keep working until it ends: it still chains to the CA.
 *
 * One timer waits for the next renewal; waits beyond what a runtime timer takes (2^31-1 ms,
 * ~24.8 days) are chained, each link re-reading the clock, so a clock that jumps (NTP after
 * boot) is noticed within one link. Nothing polls. The CA is not rotated: each check logs a
 * warning once it has `CA_WARNING_BEFORE_MS` (a year) or less left — when the CA enters that
 * year, then at every link of the chain until it ends.
 *
 * @example Renew 90 days before the end, driven by a fake clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../../util/clock.ts";
 * import { RecordingLogger } from "../../util/logger.ts";
 * import { CertificateRenewer } from "./certificate_renewer.ts";
 * import { ensureClusterPki } from "./cluster_pki.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const options = {
 *   dataDir,
 *   dnsNames: ["localhost"],
 *   ipAddresses: ["127.0.0.1"],
 *   serverUrl: "https://127.0.0.1:6443",
 * };
 * const clock = new FakeClock(Date.parse("2026-12-01T00:00:00Z"));
 * const pki = await ensureClusterPki({ ...options, now: new Date(clock.now()) });
 * const renewer = new CertificateRenewer({
 *   ...options,
 *   pki,
 *   clock,
 *   logger: new RecordingLogger(),
 *   // In the server: swap the listener's certificate.
 *   onRenewed: (next) => assert.notEqual(next.serving.certPem, pki.serving.certPem),
 * });
 * const controller = new AbortController();
 * const done = renewer.run(controller.signal);
 * clock.advance(renewer.nextRenewalMs - clock.now()); // 275 days on
 * await renewer.whenIdle();
 * assert.equal(await Deno.readTextFile(`${dataDir}/tls/serving.crt`), renewer.current.serving.certPem);
 * controller.abort();
 * await done;
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 *
 * @module
 */
import { type Clock, MAX_TIMER_DELAY_MS, type TimerHandle } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { serialNumberHex } from "../../util/x509/certificates.ts";
import {
  CA_WARNING_BEFORE_MS,
  type ClusterPki,
  type ClusterPkiOptions,
  type IssuedCertificate,
  nextRenewalTimeMs,
  RENEW_BEFORE_MS,
  renewClusterPki,
} from "./cluster_pki.ts";

/** How long to wait before trying a failed renewal again. */
export const RENEWAL_RETRY_MS = 10 * 60 * 1000;

const DAY_MS = 24 * 3600 * 1000;

/** Options of {@linkcode CertificateRenewer}: `ensureClusterPki`'s, without `now`, and more. */
export interface CertificateRenewerOptions extends Omit<ClusterPkiOptions, "now"> {
  /** The certificates the server started with (what `ensureClusterPki` returned). */
  readonly pki: ClusterPki;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Takes renewed certificates into use (swap the listener's serving certificate). */
  readonly onRenewed?: (pki: ClusterPki) => void | Promise<void>;
  /** @default {RENEWAL_RETRY_MS} */
  readonly retryDelayMs?: number;
}

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Renews the cluster's leaf certificates before they expire, while the server runs. */
export class CertificateRenewer {
  readonly #o: CertificateRenewerOptions;
  #current: ClusterPki;
  #timer: TimerHandle | null = null;
  #retryAtMs: number | null = null;
  #busy: Promise<void> = Promise.resolve();
  #signal: AbortSignal | null = null;

  constructor(options: CertificateRenewerOptions) {
    this.#o = options;
    this.#current = options.pki;
  }

  /** The certificates in use: the latest renewal's, or those it started with. */
  get current(): ClusterPki {
    return this.#current;
  }

  /**
   * When the next renewal is due (ms since the epoch); `Infinity` when no renewal can extend
   * the leaves (they end with the CA).
   */
  get nextRenewalMs(): number {
    const renewBeforeMs = this.#o.renewBeforeMs ?? RENEW_BEFORE_MS;
    return nextRenewalTimeMs(this.#current, { renewBeforeMs });
  }

  /** Resolves once no check or renewal is in progress (tests drive it with a FakeClock). */
  whenIdle(): Promise<void> {
    return this.#busy;
  }

  /**
   * Checks now (renewing what is due), then waits for each next renewal until `signal` aborts;
   * resolves after the last renewal in progress has finished.
   */
  run(signal: AbortSignal): Promise<void> {
    if (this.#signal !== null) {
      return Promise.reject(new Error("Cannot run certificate renewer: it is already running"));
    }
    this.#signal = signal;
    if (signal.aborted) return Promise.resolve();
    const { logger } = this.#o;
    for (const issued of this.#current.issued) this.#logIssued("Issued certificate", issued);
    logger.info("Starting certificate renewer", { nextRenewal: iso(this.nextRenewalMs) });
    this.#check();
    return new Promise((resolve) => {
      signal.addEventListener("abort", () => {
        this.#timer?.cancel();
        this.#timer = null;
        this.#busy.then(() => {
          logger.info("Shutting down certificate renewer", {});
          resolve();
        });
      }, { once: true });
    });
  }

  #check(): void {
    this.#timer = null;
    this.#busy = this.#checkNow();
  }

  async #checkNow(): Promise<void> {
    const nowMs = this.#o.clock.now();
    this.#warnCa(nowMs);
    const retrying = this.#retryAtMs !== null && nowMs < this.#retryAtMs;
    if (!retrying && nowMs >= this.nextRenewalMs) await this.#renew(nowMs);
    this.#arm();
  }

  async #renew(nowMs: number): Promise<void> {
    const { logger } = this.#o;
    let next: ClusterPki;
    try {
      const { dataDir, dnsNames, ipAddresses, serverUrl, renewBeforeMs } = this.#o;
      next = await renewClusterPki(this.#current, {
        dataDir,
        dnsNames,
        ipAddresses,
        serverUrl,
        now: new Date(nowMs),
        ...(renewBeforeMs === undefined ? {} : { renewBeforeMs }),
      });
    } catch (err) {
      const retryDelayMs = this.#o.retryDelayMs ?? RENEWAL_RETRY_MS;
      this.#retryAtMs = nowMs + retryDelayMs;
      logger.error("Cannot renew certificates", { error: err, retryInMs: retryDelayMs });
      return;
    }
    this.#retryAtMs = null;
    if (next.issued.length === 0) return;
    this.#current = next;
    for (const issued of next.issued) this.#logIssued("Renewed certificate", issued);
    try {
      await this.#o.onRenewed?.(next);
    } catch (err) {
      logger.error("Cannot take renewed certificates into use", { error: err });
    }
  }

  #arm(): void {
    if (this.#signal?.aborted) return;
    const nowMs = this.#o.clock.now();
    // Also wake when the CA enters its last year, and on through it (each link of the chain
    // warns), so that the server keeps saying so while it runs.
    const caEndMs = this.#current.ca.certificate.notAfter.value.getTime();
    const caMs = [caEndMs - CA_WARNING_BEFORE_MS, caEndMs].filter((ms) => ms > nowMs);
    const targetMs = this.#retryAtMs ?? Math.min(this.nextRenewalMs, ...caMs);
    if (!Number.isFinite(targetMs)) return;
    const delayMs = Math.max(0, targetMs - nowMs);
    this.#timer = this.#o.clock.setTimeout(
      () => this.#check(),
      Math.min(delayMs, MAX_TIMER_DELAY_MS),
    );
  }

  #warnCa(nowMs: number): void {
    const endMs = this.#current.ca.certificate.notAfter.value.getTime();
    if (endMs - nowMs > CA_WARNING_BEFORE_MS) return;
    this.#o.logger.warn("Cluster CA expires soon: certificates cannot be renewed beyond it", {
      caNotAfter: iso(endMs),
      daysLeft: Math.max(0, Math.floor((endMs - nowMs) / DAY_MS)),
    });
  }

  #logIssued(message: string, issued: IssuedCertificate): void {
    const pair = issued.file === "server-ca"
      ? this.#current.ca
      : issued.file === "serving"
      ? this.#current.serving
      : issued.file === "client-kube-apiserver"
      ? this.#current.kubeletClient
      : this.#current.admin;
    this.#o.logger.info(message, {
      certificate: issued.file,
      reason: issued.reason,
      serial: serialNumberHex(pair.certificate),
      notAfter: iso(pair.certificate.notAfter.value.getTime()),
    });
  }
}
