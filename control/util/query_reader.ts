/**
 * {@linkcode QueryReader}: typed query parameters decoded as apimachinery's parameter codec
 * decodes them (booleans: absent, `0` and `false` are false; int64 with Go's `strconv` errors;
 * RFC 3339 times), for the API server and the kubelet API, which answer a bad value each in
 * its own way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueryReader } from "./query_reader.ts";
 *
 * const q = new QueryReader(new URLSearchParams("follow=true&tailLines=10"), (m) => new SyntaxError(m));
 * assert.equal(q.bool("follow"), true);
 * assert.equal(q.int("tailLines"), 10);
 * assert.throws(() => new QueryReader(new URLSearchParams("tailLines=x"), (m) => new SyntaxError(m)).int("tailLines"));
 * ```
 *
 * @module
 */

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

/** Reads the parameters of `query`; a value that does not parse throws `fail(message)`. */
export class QueryReader {
  readonly #query: URLSearchParams;
  readonly #fail: (message: string) => Error;

  constructor(query: URLSearchParams, fail: (message: string) => Error) {
    this.#query = query;
    this.#fail = fail;
  }

  /** The raw value, or undefined when absent or empty. */
  string(name: string): string | undefined {
    const v = this.#query.get(name);
    return v === null || v === "" ? undefined : v;
  }

  /** A boolean: absent, `0` and `false` (any case) are false, anything else true. */
  bool(name: string): boolean {
    const v = this.#query.get(name);
    if (v === null) return false;
    return !(v === "0" || v.toLowerCase() === "false");
  }

  /** An int64; undefined when absent or empty. */
  int(name: string): number | undefined {
    const v = this.#query.get(name);
    if (v === null || v === "") return undefined;
    if (!/^[+-]?\d+$/.test(v)) {
      throw this.#fail(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n)) {
      throw this.#fail(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
    }
    return n;
  }

  /** An RFC 3339 time, as sent; undefined when absent, empty or `null`. */
  time(name: string): string | undefined {
    const v = this.#query.get(name);
    if (v === null || v === "" || v === "null") return undefined;
    if (!RFC3339.test(v) || Number.isNaN(Date.parse(v))) {
      throw this.#fail(
        `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${
          JSON.stringify(v)
        } as RFC 3339`,
      );
    }
    return v;
  }
}
