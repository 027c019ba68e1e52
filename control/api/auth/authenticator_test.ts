import assert from "node:assert/strict";
import type { Authenticator } from "./authenticator.ts";
import { InternalAuthenticator, UnionAuthenticator } from "./authenticator.ts";

const request = new Request("https://h/api");

Deno.test("UnionAuthenticator takes the first authenticator that recognizes the request", async () => {
  const calls: string[] = [];
  const make = (name: string, user: string | null): Authenticator => ({
    authenticate() {
      calls.push(name);
      return Promise.resolve(user === null ? null : { username: user, groups: [] });
    },
  });
  const union = new UnionAuthenticator([make("a", null), make("b", "bob"), make("c", "carol")]);
  assert.equal((await union.authenticate(request, {}))?.username, "bob");
  assert.deepEqual(calls, ["a", "b"]);
  assert.equal(await new UnionAuthenticator([make("x", null)]).authenticate(request, {}), null);
});

Deno.test("InternalAuthenticator trusts only the in-process user in the connection info", async () => {
  const auth = new InternalAuthenticator();
  assert.equal(await auth.authenticate(request, {}), null);
  const internalUser = { username: "system:apiserver", groups: ["system:masters"] };
  assert.deepEqual(await auth.authenticate(request, { internalUser }), internalUser);
});
