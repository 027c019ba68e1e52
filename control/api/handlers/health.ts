/**
 * `/healthz`, `/livez` and `/readyz` as kube-apiserver answers them: each probe runs its named
 * checks (`ping`, `storage`, and for readiness `bootstrap`), answers `ok` when all pass, lists
 * them with `?verbose`, skips those named by `?exclude=`, and serves each check alone at
 * `/<probe>/<name>`. A failing probe answers 500 with every check's line — the failing ones
 * with `reason withheld`; the reason goes to the server's log, never to the (anonymous) client.
 *
 * @example A probe with one failing check
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferWriter, JsonLogger } from "../../util/mod.ts";
 * import { HealthProbe } from "./health.ts";
 *
 * const probe = new HealthProbe("readyz", [
 *   { name: "ping", check: () => Promise.resolve() },
 *   { name: "bootstrap", check: () => Promise.reject(new Error("not yet")) },
 * ], new JsonLogger({ writer: new BufferWriter() }));
 * const res = await probe.all(new URL("https://x/readyz"));
 * assert.equal(res.status, 500);
 * assert.equal(
 *   await res.text(),
 *   "[+]ping ok\n[-]bootstrap failed: reason withheld\nreadyz check failed\n",
 * );
 * ```
 *
 * @module
 */
import type { Logger } from "../../util/logger.ts";

/** One named check; rejects when unhealthy. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<void>;
}

function text(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-cache, private",
      "x-content-type-options": "nosniff",
    },
  });
}

/** One probe (`livez`) and its checks. */
export class HealthProbe {
  readonly #name: string;
  readonly #checks: readonly HealthCheck[];
  readonly #logger: Logger;

  constructor(name: string, checks: readonly HealthCheck[], logger: Logger) {
    this.#name = name;
    this.#checks = checks;
    this.#logger = logger;
  }

  /** `GET /<probe>`: every check not excluded. */
  async all(url: URL): Promise<Response> {
    const verbose = url.searchParams.has("verbose");
    const excluded = new Set(
      url.searchParams.getAll("exclude").flatMap((v) => v.split(",")).map((v) => v.trim())
        .filter((v) => v !== ""),
    );
    const run = this.#checks.filter((c) => !excluded.has(c.name));
    for (const c of this.#checks) excluded.delete(c.name);
    const results = await Promise.all(run.map(async (c) => {
      try {
        await c.check();
        return { name: c.name, error: null };
      } catch (err) {
        return { name: c.name, error: err };
      }
    }));
    const failed = results.filter((r) => r.error !== null);
    if (failed.length === 0 && !verbose) return text("ok");
    let body = results
      .map((r) => r.error === null ? `[+]${r.name} ok\n` : `[-]${r.name} failed: reason withheld\n`)
      .join("");
    if (excluded.size > 0) {
      body += `warn: some health checks cannot be excluded: no matches for ${
        [...excluded].map((n) => `"${n}"`).join(",")
      }\n`;
    }
    if (failed.length > 0) {
      this.#logger.warn(`${this.#name} check failed`, {
        failed: failed.map((r) => ({ check: r.name, error: r.error })),
      });
      return text(`${body}${this.#name} check failed\n`, 500);
    }
    return text(`${body}${this.#name} check passed\n`);
  }

  /** `GET /<probe>/<check>`: that check alone; null when there is no such check. */
  async one(check: string): Promise<Response | null> {
    const c = this.#checks.find((x) => x.name === check);
    if (!c) return null;
    try {
      await c.check();
      return text("ok");
    } catch (err) {
      this.#logger.warn(`${this.#name} check failed`, { check: c.name, error: err });
      return text(`internal server error: ${c.name} check failed\n`, 500);
    }
  }
}
