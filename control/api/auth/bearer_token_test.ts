import assert from "node:assert/strict";
import { FakeClock } from "../../util/clock.ts";
import type { RequestUser } from "../handlers/context.ts";
import { secretsFixture } from "./_token_test_support.ts";
import { AuthenticationError, type TokenAuthenticator } from "./authenticator.ts";
import {
  authorizationBearerToken,
  BearerTokenAuthenticator,
  isWebSocketRequest,
  MAX_BEARER_TOKEN_LENGTH,
  webSocketBearerToken,
} from "./bearer_token.ts";
import { BootstrapTokenAuthenticator } from "./bootstrap_token.ts";
import { NodeCredentialAuthenticator } from "./node_credential.ts";

const ALICE: RequestUser = { username: "alice", groups: ["system:authenticated"] };

/** Accepts "good", refuses "bad", ignores the rest; records what it saw. */
function staticTokens(): TokenAuthenticator & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    authenticateToken(token) {
      seen.push(token);
      if (token === "good") return Promise.resolve(ALICE);
      if (token === "bad") return Promise.reject(new AuthenticationError("bad token"));
      return Promise.resolve(null);
    },
  };
}

function b64url(text: string | Uint8Array): string {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function wsHeaders(protocols: string): Headers {
  return new Headers({
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-protocol": protocols,
  });
}

function request(headers: HeadersInit): Request {
  return new Request("https://skiff.test/api/v1/pods", { headers });
}

Deno.test("authorizationBearerToken() reads the header as upstream's bearertoken", async (t) => {
  const cases: [string, string | null][] = [
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER abc", "abc"],
    ["  Bearer abc  ", "abc"],
    ["Bearer abc def", "abc"],
    ["Bearer", null],
    ["Bearer ", null],
    ["Bearer  abc", null],
    ["Bearer\tabc", null],
    ["Basic dXNlcjpwYXNz", null],
    ["Bearerabc", null],
    ["", null],
  ];
  for (const [header, token] of cases) {
    await t.step(JSON.stringify(header), () => {
      assert.equal(authorizationBearerToken(new Headers({ authorization: header })), token);
    });
  }
  assert.equal(authorizationBearerToken(new Headers()), null);
});

Deno.test("webSocketBearerToken() reads the base64url.bearer subprotocol as upstream", async (t) => {
  const prefix = "base64url.bearer.authorization.k8s.io.";
  const ok: [string, string | null][] = [
    [`${prefix}${b64url("good")}, v4.channel.k8s.io`, "good"],
    [`v4.channel.k8s.io,${prefix}${b64url("a.b_c-d")}`, "a.b_c-d"],
    [`${prefix}, v4.channel.k8s.io`, null],
    ["v4.channel.k8s.io", null],
  ];
  for (const [header, token] of ok) {
    await t.step(header, () => assert.equal(webSocketBearerToken(wsHeaders(header)), token));
  }
  const bad: [string, string][] = [
    [
      `${prefix}${b64url("a")},${prefix}${b64url("b")},x`,
      "multiple base64.bearer.authorization tokens specified",
    ],
    [`${prefix}${btoa("good")}=,x`, "invalid base64.bearer.authorization token encoding"],
    [`${prefix}a+b/,x`, "invalid base64.bearer.authorization token encoding"],
    [`${prefix}abcde,x`, "invalid base64.bearer.authorization token encoding"],
    [
      `${prefix}${b64url(new Uint8Array([0xff, 0xfe]))},x`,
      "invalid base64.bearer.authorization token",
    ],
    [`${prefix}${b64url("good")}`, "missing additional subprotocol"],
  ];
  for (const [header, message] of bad) {
    await t.step(`refuses ${header}`, () => {
      assert.throws(() => webSocketBearerToken(wsHeaders(header)), (err: Error) => {
        assert.ok(err instanceof AuthenticationError);
        assert.equal(err.message, message);
        return true;
      });
    });
  }
  await t.step("ignores requests that are no WebSocket upgrade", () => {
    const h = new Headers({ "sec-websocket-protocol": `${prefix}${b64url("good")},x` });
    assert.equal(isWebSocketRequest(h), false);
    assert.equal(webSocketBearerToken(h), null);
    assert.equal(
      isWebSocketRequest(new Headers({ connection: "keep-alive, Upgrade", upgrade: "WebSocket" })),
      true,
    );
  });
});

Deno.test("BearerTokenAuthenticator asks each token authenticator, first user wins", async () => {
  const a = staticTokens();
  const second: TokenAuthenticator = {
    authenticateToken: (t) =>
      Promise.resolve(t === "other" ? { username: "bob", groups: [] } : null),
  };
  const auth = new BearerTokenAuthenticator([a, second]);
  assert.equal(await auth.authenticate(request({}), {}), null);
  assert.equal(await auth.authenticate(request({ authorization: "Basic eDp5" }), {}), null);
  assert.deepEqual(await auth.authenticate(request({ authorization: "Bearer good" }), {}), ALICE);
  assert.equal(
    (await auth.authenticate(request({ authorization: "Bearer other" }), {}))?.username,
    "bob",
  );
  await assert.rejects(
    auth.authenticate(request({ authorization: "Bearer unknown" }), {}),
    { name: "AuthenticationError", message: "invalid bearer token" },
  );
  await assert.rejects(
    auth.authenticate(request({ authorization: "Bearer bad" }), {}),
    { name: "AuthenticationError", message: "bad token" },
  );
  // The WebSocket subprotocol carries a token when the header does not.
  const ws = wsHeaders(`base64url.bearer.authorization.k8s.io.${b64url("good")},v5.channel.k8s.io`);
  assert.deepEqual(await auth.authenticate(request(ws), {}), ALICE);
  ws.set("authorization", "Bearer unknown");
  assert.deepEqual(await auth.authenticate(request(ws), {}), ALICE);
  await assert.rejects(
    auth.authenticate(request(wsHeaders("base64url.bearer.authorization.k8s.io.%%,x")), {}),
    AuthenticationError,
  );
});

Deno.test("BearerTokenAuthenticator refuses huge tokens without asking anyone", async () => {
  const a = staticTokens();
  const auth = new BearerTokenAuthenticator([a]);
  const huge = "x".repeat(MAX_BEARER_TOKEN_LENGTH + 1);
  await assert.rejects(
    auth.authenticate(request({ authorization: `Bearer ${huge}` }), {}),
    AuthenticationError,
  );
  assert.deepEqual(a.seen, []);
});

Deno.test("BearerTokenAuthenticator lets internal failures through (500, not 401)", async () => {
  const broken: TokenAuthenticator = {
    authenticateToken: () => Promise.reject(new Error("view not started")),
  };
  const auth = new BearerTokenAuthenticator([broken]);
  await assert.rejects(auth.authenticate(request({ authorization: "Bearer x" }), {}), {
    message: "view not started",
  });
});

/** A small deterministic PRNG for the fuzz cases (xorshift32). */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

Deno.test("BearerTokenAuthenticator answers malformed headers with null or AuthenticationError only", async () => {
  await using f = await secretsFixture();
  const auth = new BearerTokenAuthenticator([
    new NodeCredentialAuthenticator({ secrets: f.secrets }),
    new BootstrapTokenAuthenticator({ secrets: f.secrets, clock: new FakeClock() }),
    staticTokens(),
  ]);
  const rand = prng(0x5eed);
  const pieces = [
    "Bearer",
    "bearer",
    " ",
    "  ",
    "\t",
    ".",
    ":",
    ",",
    "=",
    "abcdef",
    "0123456789abcdef",
    "skiff-node:",
    "edge-1",
    "eyJhbGciOiJIUzI1NiJ9",
    "base64url.bearer.authorization.k8s.io.",
    "\u00e9\u00ff",
    "good",
  ];
  const samples: string[] = [
    "Bearer",
    "Bearer ",
    "Bearer     ",
    "Bearer . ",
    "Bearer abcdef.",
    "Bearer .0123456789abcdef",
    "Bearer skiff-node:",
    "Bearer skiff-node::",
    `Bearer skiff-node:edge-1:${"a".repeat(42)}`,
    `Bearer skiff-node:Edge_1:${"a".repeat(43)}`,
    `Bearer skiff-node:${"a".repeat(300)}:${"a".repeat(43)}`,
    "Bearer \u00e2\u0098\u0083", // UTF-8 of a snowman, as bytes
    `Bearer ${"a".repeat(1 << 20)}`,
    `Bearer ${"abcdef.".repeat(10_000)}`,
  ];
  for (let i = 0; i < 300; i++) {
    let s = "";
    const n = 1 + Math.floor(rand() * 8);
    for (let j = 0; j < n; j++) {
      if (rand() < 0.3) {
        // random bytes a header can carry (tab, printable ASCII, Latin-1 as raw UTF-8 bytes)
        const len = Math.floor(rand() * 20);
        for (let k = 0; k < len; k++) {
          const c = Math.floor(rand() * 0xe1) + 0x1f;
          s += String.fromCharCode(c === 0x1f ? 0x09 : c === 0x7f ? 0x20 : c);
        }
      } else {
        s += pieces[Math.floor(rand() * pieces.length)];
      }
    }
    samples.push(s, `Bearer ${s}`, `base64url.bearer.authorization.k8s.io.${b64url(s)}`);
  }
  let refused = 0;
  for (const value of samples) {
    for (const headers of [{ authorization: value }, wsHeaders(value), wsHeaders(`${value},x`)]) {
      let req: Request;
      try {
        req = request(headers);
      } catch {
        continue; // not a header value HTTP can carry
      }
      try {
        const user = await auth.authenticate(req, {});
        assert.ok(
          user === null || user.username === "alice",
          `unexpected user for ${JSON.stringify(value.slice(0, 40))}`,
        );
      } catch (err) {
        assert.ok(
          err instanceof AuthenticationError,
          `${JSON.stringify(value.slice(0, 40))}: ${err}`,
        );
        refused++;
      }
    }
  }
  assert.ok(
    refused > 100,
    `only ${refused} refusals: the fuzz cases do not reach the token authenticators`,
  );
});
