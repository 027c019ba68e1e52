/**
 * Test support for the token authenticators: a memory storage with a started Secrets view, and
 * helpers to write Secrets into it and wait until the view has caught up.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MemoryStorage } from "../../storage/memory.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { encodeForStorage } from "../store/object_codec.ts";
import type { ObjectView } from "../store/object_view.ts";
import { ObjectViews } from "../store/object_views.ts";
import type { KubeObject } from "../types/meta_v1.ts";

/** The Secrets storage prefix. */
export const SECRETS_PREFIX = "/registry/secrets/";

/** A storage and its started Secrets view. */
export interface SecretsFixture extends AsyncDisposable {
  readonly storage: MemoryStorage;
  readonly secrets: ObjectView;
  readonly logger: RecordingLogger;
  /** Creates or replaces `secret` and waits until the view holds that version. */
  put(secret: KubeObject): Promise<void>;
  /** Deletes the Secret and waits until the view no longer holds it. */
  remove(namespace: string, name: string): Promise<void>;
}

/** Polls `cond` on real time (the view follows a storage watch) for at most ~2 s. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), "condition not reached");
}

let uidSeq = 0;

/** A fresh storage with a started Secrets view. */
export async function secretsFixture(): Promise<SecretsFixture> {
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const stop = new AbortController();
  const views = new ObjectViews({ storage, logger, signal: stop.signal });
  const secrets = await views.started(SECRETS_PREFIX);
  return {
    storage,
    secrets,
    logger,
    async put(secret) {
      const ns = secret.metadata?.namespace ?? "";
      const name = secret.metadata?.name ?? "";
      const key = `${SECRETS_PREFIX}${ns}/${name}`;
      const obj: KubeObject = {
        ...secret,
        metadata: { uid: `uid-${++uidSeq}`, ...secret.metadata },
      };
      const old = await storage.get(key);
      const kv = old
        ? await storage.update(key, encodeForStorage(obj), old.modRevision)
        : await storage.create(key, encodeForStorage(obj));
      await until(() =>
        secrets.getByName(ns, name)?.metadata?.resourceVersion === String(kv.modRevision)
      );
    },
    async remove(namespace, name) {
      await storage.delete(`${SECRETS_PREFIX}${namespace}/${name}`);
      await until(() => secrets.getByName(namespace, name) === undefined);
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      await storage.close();
    },
  };
}
