import assert from "node:assert/strict";
import type { Authenticator } from "./authenticator.ts";
import { AuthenticationError, InternalAuthenticator, UnionAuthenticator } from "./authenticator.ts";

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

Deno.test("UnionAuthenticator throws a rejection only when no authenticator finds a user", async (t) => {
  const rejects = { authenticate: () => Promise.reject(new AuthenticationError("bad token")) };
  const accepts = {
    authenticate: () => Promise.resolve({ username: "bob", groups: ["system:authenticated"] }),
  };
  const none = { authenticate: () => Promise.resolve(null) };
  await t.step("a later authenticator's user wins over an earlier rejection", async () => {
    const user = await new UnionAuthenticator([rejects, accepts]).authenticate(request, {});
    assert.equal(user?.username, "bob");
  });
  await t.step("a rejection with no user is thrown", async () => {
    await assert.rejects(
      new UnionAuthenticator([none, rejects, none]).authenticate(request, {}),
      /bad token/,
    );
  });
  await t.step("no credential at all is null", async () => {
    assert.equal(await new UnionAuthenticator([none]).authenticate(request, {}), null);
  });
  await t.step("other errors are not swallowed", async () => {
    const broken = { authenticate: () => Promise.reject(new TypeError("bug")) };
    await assert.rejects(
      new UnionAuthenticator([broken, accepts]).authenticate(request, {}),
      TypeError,
    );
  });
});
