import assert from "node:assert/strict";
import { FakeClock } from "../../control/util/clock.ts";
import { RecordingLogger } from "../../control/util/logger.ts";
import type { TokenRequest, TokenRequestSpec } from "../../control/api/types/authentication_v1.ts";
import {
  type ServiceAccountTokenRequest,
  TokenManager,
  type TokenRefresh,
} from "./token_manager.ts";

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const S = 1000;

/** A fake TokenRequest endpoint that issues `t1`, `t2`… valid for what was asked. */
class FakeIssuer {
  readonly calls: ServiceAccountTokenRequest[] = [];
  failWith: Error | undefined;
  /** Overrides the lifetime the issuer grants (seconds). */
  grantSeconds: number | undefined;
  readonly #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  readonly request = (req: ServiceAccountTokenRequest): Promise<TokenRequest> => {
    this.calls.push(req);
    if (this.failWith) return Promise.reject(this.failWith);
    const seconds = this.grantSeconds ?? req.spec.expirationSeconds ?? 3600;
    return Promise.resolve({
      spec: { ...req.spec, expirationSeconds: req.spec.expirationSeconds ?? 3600 },
      status: {
        token: `t${this.calls.length}`,
        expirationTimestamp: new Date(this.#clock.now() + seconds * S).toISOString(),
      },
    });
  };
}

function setup(random = 0) {
  const clock = new FakeClock(T0);
  const issuer = new FakeIssuer(clock);
  const logger = new RecordingLogger();
  const manager = new TokenManager({
    requestToken: issuer.request,
    clock,
    logger,
    random: () => random,
    retryDelayMs: 30 * S,
  });
  const refreshes: TokenRefresh[] = [];
  manager.onRefreshed((r) => refreshes.push(r));
  return { clock, issuer, logger, manager, refreshes };
}

function podSpec(uid: string, expirationSeconds?: number, audience?: string): TokenRequestSpec {
  return {
    ...(audience === undefined ? {} : { audiences: [audience] }),
    expirationSeconds: expirationSeconds ?? 3600,
    boundObjectRef: { apiVersion: "v1", kind: "Pod", name: `pod-${uid}`, uid },
  };
}

/** Lets the promise chains the timer started settle. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function token(m: TokenManager, spec: TokenRequestSpec, sa = "web"): Promise<string> {
  return (await m.getServiceAccountToken("shop", sa, spec)).status?.token ?? "";
}

Deno.test("TokenManager caches one token per account, audiences, expiration and pod", async () => {
  const { issuer, manager } = setup();
  try {
    assert.equal(await token(manager, podSpec("u1")), "t1");
    assert.equal(await token(manager, podSpec("u1")), "t1");
    assert.equal(await token(manager, podSpec("u1", 3600, "vault")), "t2");
    assert.equal(await token(manager, podSpec("u1", 7200)), "t3");
    assert.equal(await token(manager, podSpec("u2")), "t4");
    assert.equal(await token(manager, podSpec("u1"), "other"), "t5");
    assert.equal(issuer.calls.length, 5);
    assert.deepEqual(issuer.calls[1], {
      namespace: "shop",
      name: "web",
      spec: podSpec("u1", 3600, "vault"),
    });
    assert.equal(manager.size, 5);
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager shares one request among concurrent callers", async () => {
  const { issuer, manager } = setup();
  try {
    const got = await Promise.all([token(manager, podSpec("u1")), token(manager, podSpec("u1"))]);
    assert.deepEqual(got, ["t1", "t1"]);
    assert.equal(issuer.calls.length, 1);
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager refreshes when 80% of the lifetime has passed", async () => {
  const { clock, issuer, manager, refreshes } = setup();
  try {
    await token(manager, podSpec("u1"));
    assert.equal(clock.pendingTimers, 1, "one timer");
    clock.advance(2880 * S);
    await settle();
    assert.equal(issuer.calls.length, 1, "not yet at exactly 80%");
    assert.equal(await token(manager, podSpec("u1")), "t1");
    clock.advance(1);
    await settle();
    assert.equal(issuer.calls.length, 2);
    assert.deepEqual(refreshes, [{
      namespace: "shop",
      name: "web",
      boundObjectUid: "u1",
      key: '["web","shop",[],3600,["Pod","v1","pod-u1","u1"]]',
    }]);
    assert.equal(await token(manager, podSpec("u1")), "t2");
    assert.equal(clock.pendingTimers, 1, "still one timer, for the new token");
    clock.advance(2880 * S + 1);
    await settle();
    assert.equal(issuer.calls.length, 3);
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager refreshes a long-lived token after 24 hours", async () => {
  const { clock, issuer, manager } = setup();
  try {
    await token(manager, podSpec("u1", 7 * 24 * 3600));
    clock.advance(24 * 3600 * S);
    await settle();
    assert.equal(issuer.calls.length, 1);
    clock.advance(1);
    await settle();
    assert.equal(issuer.calls.length, 2);
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager moves a refresh up to 10 seconds earlier at random", async () => {
  const { clock, issuer, manager } = setup(0.95);
  try {
    await token(manager, podSpec("u1"));
    clock.advance((2880 - 10) * S);
    await settle();
    assert.equal(issuer.calls.length, 1);
    clock.advance(1 * S + 1);
    await settle();
    assert.equal(issuer.calls.length, 2, "9 s of jitter");
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager refreshes the earliest of several tokens first, with one timer", async () => {
  const { clock, issuer, manager, refreshes } = setup();
  try {
    await token(manager, podSpec("long", 7200));
    await token(manager, podSpec("short", 600));
    assert.equal(clock.pendingTimers, 1);
    clock.advance(480 * S + 1);
    await settle();
    assert.deepEqual(refreshes.map((r) => r.boundObjectUid), ["short"]);
    assert.equal(clock.pendingTimers, 1);
    clock.advance((5760 - 480) * S);
    await settle();
    // The fake clock jumps in one go, so the short token was refreshed once more on the way.
    assert.deepEqual(refreshes.map((r) => r.boundObjectUid), ["short", "short", "long"]);
    assert.equal(issuer.calls.filter((c) => c.spec.boundObjectRef?.uid === "long").length, 2);
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager keeps a valid token when a refresh fails and retries", async () => {
  const { clock, issuer, logger, manager, refreshes } = setup();
  try {
    await token(manager, podSpec("u1"));
    issuer.failWith = new Error("connection refused");
    clock.advance(2880 * S + 1);
    await settle();
    assert.equal(issuer.calls.length, 2);
    assert.deepEqual(refreshes, []);
    assert.ok(logger.records.some((r) => r.msg === "Couldn't update token"));
    // A caller gets the old token while it is valid (the refresh fails again meanwhile).
    assert.equal(await token(manager, podSpec("u1")), "t1");
    issuer.failWith = undefined;
    clock.advance(30 * S);
    await settle();
    assert.equal(refreshes.length, 1, "the retry succeeded");
    assert.equal(await token(manager, podSpec("u1")), "t4");
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager fails with upstream's messages when no valid token is left", async (t) => {
  const { clock, issuer, manager } = setup();
  try {
    await t.step("the first request", async () => {
      issuer.failWith = new Error("forbidden");
      await assert.rejects(token(manager, podSpec("u1")), {
        message: "failed to fetch token: forbidden",
      });
      assert.equal(manager.size, 0);
    });
    await t.step("a refresh after expiry", async () => {
      issuer.failWith = undefined;
      await token(manager, podSpec("u2", 600));
      issuer.failWith = new Error("forbidden");
      // The timed refresh is still failing when the caller asks, past the expiry.
      clock.advance(601 * S);
      await assert.rejects(token(manager, podSpec("u2", 600)), {
        message:
          'token ["web","shop",[],600,["Pod","v1","pod-u2","u2"]] expired and refresh failed: forbidden',
      });
      assert.equal(manager.size, 0);
      assert.equal(clock.pendingTimers, 0);
    });
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager.deleteServiceAccountTokens() forgets a pod's tokens and their timer", async () => {
  const { clock, issuer, manager } = setup();
  try {
    await token(manager, podSpec("u1"));
    await token(manager, podSpec("u1", 3600, "vault"));
    await token(manager, podSpec("u2", 7200));
    manager.deleteServiceAccountTokens("u1");
    assert.equal(manager.size, 1);
    clock.advance(3600 * S);
    await settle();
    assert.equal(issuer.calls.length, 3, "nothing of u1 was refreshed");
    manager.deleteServiceAccountTokens("u2");
    assert.equal(clock.pendingTimers, 0);
  } finally {
    manager.close();
  }
});

Deno.test("TokenManager.close() stops the timer", async () => {
  const { clock, issuer, manager } = setup();
  await token(manager, podSpec("u1"));
  manager.close();
  assert.equal(clock.pendingTimers, 0);
  clock.advance(4000 * S);
  await settle();
  assert.equal(issuer.calls.length, 1);
});
