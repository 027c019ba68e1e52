/**
 * Test support for the ServiceAccount token files: a memory storage with the object views the
 * authenticator and the TokenRequest hook read, helpers to write objects and wait until the
 * views have them, a key set and a fake clock.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { FakeClock } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import { ObjectViews } from "../store/object_views.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { KubeObject } from "../types/meta_v1.ts";
import {
  AuthenticationError,
  type Authenticator,
  type TokenAuthenticator,
} from "./authenticator.ts";
import { ServiceAccountKeys } from "./service_account_keys.ts";

/** The resources the fixture stores. */
export type FixtureResource = "serviceaccounts" | "pods" | "secrets" | "nodes";

/** The issuer the tests use. */
export const TEST_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** 2023-11-14T22:13:20Z. */
export const TEST_NOW_MS = 1_700_000_000_000;

/** A storage, its views, keys and a clock. */
export interface SaFixture extends AsyncDisposable {
  readonly storage: MemoryStorage;
  readonly views: ObjectViews;
  readonly clock: FakeClock;
  readonly keys: ServiceAccountKeys;
  /** Creates or replaces `obj` (a uid is made up when absent); resolves once the view has it. */
  put(resource: FixtureResource, obj: KubeObject): Promise<KubeObject>;
  /** Deletes an object; resolves once the view no longer has it. */
  remove(resource: FixtureResource, namespace: string, name: string): Promise<void>;
}

/** Polls `cond` on real time for at most ~2 s. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), "condition not reached");
}

let uidSeq = 0;

const keysOnce = ServiceAccountKeys.generate();

/** A fresh fixture (the key set is shared by all fixtures of a test run). */
export async function saFixture(): Promise<SaFixture> {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const keys = await keysOnce;
  const key = (resource: string, ns: string, name: string) =>
    ns ? `/registry/${resource}/${ns}/${name}` : `/registry/${resource}/${name}`;
  return {
    storage,
    views,
    clock: new FakeClock(TEST_NOW_MS),
    keys,
    async put(resource, obj) {
      const view = await views.started(`/registry/${resource}/`);
      const ns = obj.metadata?.namespace ?? "";
      const name = obj.metadata?.name ?? "";
      const stored: KubeObject = {
        ...obj,
        metadata: { uid: `uid-${++uidSeq}`, ...obj.metadata },
      };
      const k = key(resource, ns, name);
      const old = await storage.get(k);
      const kv = old
        ? await storage.update(k, encodeForStorage(stored), old.modRevision)
        : await storage.create(k, encodeForStorage(stored));
      await until(() =>
        view.getByName(ns, name)?.metadata?.resourceVersion === String(kv.modRevision)
      );
      return view.getByName(ns, name)!;
    },
    async remove(resource, namespace, name) {
      const view = await views.started(`/registry/${resource}/`);
      await storage.delete(key(resource, namespace, name));
      await until(() => view.getByName(namespace, name) === undefined);
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await storage.close();
    },
  };
}

/** `Authorization: Bearer` over token authenticators, for app tests (unknown tokens: 401). */
export class TestBearerAuthenticator implements Authenticator {
  readonly #tokens: readonly TokenAuthenticator[];

  constructor(tokens: readonly TokenAuthenticator[]) {
    this.#tokens = tokens;
  }

  async authenticate(request: Request): Promise<RequestUser | null> {
    const m = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "");
    if (!m) return null;
    for (const t of this.#tokens) {
      const user = await t.authenticateToken(m[1]!);
      if (user) return user;
    }
    throw new AuthenticationError("invalid bearer token");
  }
}
