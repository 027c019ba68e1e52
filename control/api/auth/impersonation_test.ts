import assert from "node:assert/strict";
import { ApiError } from "../errors.ts";
import type { RequestUser } from "../handlers/context.ts";
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from "./authorizer.ts";
import { hasImpersonation, impersonatedUser } from "./impersonation.ts";

const BOB: RequestUser = { username: "bob", groups: ["system:authenticated"] };

/** Allows what `allow` accepts and records every question. */
class RecordingAuthorizer implements Authorizer {
  readonly asked: string[] = [];
  readonly #allow: (a: AuthorizationAttributes) => boolean;

  constructor(allow: (a: AuthorizationAttributes) => boolean = () => true) {
    this.#allow = allow;
  }

  authorize(a: AuthorizationAttributes): Promise<AuthorizationResult> {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    this.asked.push(
      `${a.user.username} ${a.verb} ${a.apiGroup}/${resource} ${a.namespace}/${a.name}`,
    );
    return Promise.resolve({ decision: this.#allow(a) ? "allow" : "noOpinion", reason: "" });
  }
}

function request(headers: [string, string][]): Request {
  const h = new Headers();
  for (const [k, v] of headers) h.append(k, v);
  return new Request("https://skiff/api/v1/namespaces/ns/pods", { headers: h });
}

Deno.test("impersonatedUser() acts as the user the headers name once each part is allowed", async (t) => {
  const cases: {
    name: string;
    headers: [string, string][];
    want: RequestUser;
    asked: string[];
  }[] = [
    {
      name: "no headers: the authenticated user",
      headers: [],
      want: BOB,
      asked: [],
    },
    {
      name: "a user, who is then authenticated",
      headers: [["Impersonate-User", "alice"]],
      want: { username: "alice", groups: ["system:authenticated"] },
      asked: ["bob impersonate /users /alice"],
    },
    {
      name: "a user with groups",
      headers: [["Impersonate-User", "alice"], ["Impersonate-Group", "devs"], [
        "Impersonate-Group",
        "ops",
      ]],
      want: { username: "alice", groups: ["devs", "ops", "system:authenticated"] },
      asked: [
        "bob impersonate /users /alice",
        "bob impersonate /groups /devs",
        "bob impersonate /groups /ops",
      ],
    },
    {
      name: "a user in system:unauthenticated is not made authenticated",
      headers: [["Impersonate-User", "alice"], ["Impersonate-Group", "system:unauthenticated"]],
      want: { username: "alice", groups: ["system:unauthenticated"] },
      asked: ["bob impersonate /users /alice", "bob impersonate /groups /system:unauthenticated"],
    },
    {
      name: "a service account gets its fixed groups",
      headers: [["Impersonate-User", "system:serviceaccount:ns:robot"]],
      want: {
        username: "system:serviceaccount:ns:robot",
        groups: ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"],
      },
      asked: ["bob impersonate /serviceaccounts ns/robot"],
    },
    {
      name: "a service account with groups asked for gets those",
      headers: [["Impersonate-User", "system:serviceaccount:ns:robot"], [
        "Impersonate-Group",
        "devs",
      ]],
      want: {
        username: "system:serviceaccount:ns:robot",
        groups: ["devs", "system:authenticated"],
      },
      asked: ["bob impersonate /serviceaccounts ns/robot", "bob impersonate /groups /devs"],
    },
    {
      name: "a UID and extra fields",
      headers: [
        ["Impersonate-User", "alice"],
        ["Impersonate-Uid", "1234"],
        ["Impersonate-Extra-Scopes", "view"],
        ["Impersonate-Extra-Scopes", "edit"],
        ["Impersonate-Extra-acme.com%2Fteam", "edge"],
      ],
      want: {
        username: "alice",
        groups: ["system:authenticated"],
        uid: "1234",
        extra: { scopes: ["view", "edit"], "acme.com/team": "edge".split(",") },
      },
      asked: [
        "bob impersonate /users /alice",
        "bob impersonate authentication.k8s.io/uids /1234",
        // Headers iterate sorted by name.
        "bob impersonate authentication.k8s.io/userextras/acme.com/team /edge",
        "bob impersonate authentication.k8s.io/userextras/scopes /view",
        "bob impersonate authentication.k8s.io/userextras/scopes /edit",
      ],
    },
    {
      name: "anonymous stays unauthenticated",
      headers: [["Impersonate-User", "system:anonymous"]],
      want: { username: "system:anonymous", groups: ["system:unauthenticated"] },
      asked: ["bob impersonate /users /system:anonymous"],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const authorizer = new RecordingAuthorizer();
      const req = request(c.headers);
      assert.equal(hasImpersonation(req), c.headers.length > 0);
      assert.deepEqual(await impersonatedUser(req, { user: BOB, authorizer }), c.want);
      assert.deepEqual(authorizer.asked, c.asked);
    });
  }
});

Deno.test("impersonatedUser() refuses what the user may not impersonate with kube-apiserver's 403", async (t) => {
  const cases = [
    {
      name: "a user",
      headers: [["Impersonate-User", "alice"]] as [string, string][],
      allow: () => false,
      message:
        'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    },
    {
      name: "a group of an allowed user",
      headers: [["Impersonate-User", "alice"], ["Impersonate-Group", "system:masters"]] as [
        string,
        string,
      ][],
      allow: (a: AuthorizationAttributes) => a.resource === "users",
      message:
        'groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope',
    },
    {
      name: "a service account",
      headers: [["Impersonate-User", "system:serviceaccount:ns:robot"]] as [string, string][],
      allow: () => false,
      message:
        'serviceaccounts "robot" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns"',
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const authorizer = new RecordingAuthorizer(c.allow);
      await assert.rejects(
        impersonatedUser(request(c.headers), { user: BOB, authorizer }),
        (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.equal(err.code, 403);
          assert.equal(err.reason, "Forbidden");
          assert.equal(err.message, c.message);
          return true;
        },
      );
    });
  }
});

Deno.test("impersonatedUser() answers 500 for groups without a user, as kube-apiserver", async () => {
  await assert.rejects(
    impersonatedUser(request([["Impersonate-Group", "devs"]]), {
      user: BOB,
      authorizer: new RecordingAuthorizer(),
    }),
    (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 500);
      assert.match(
        err.message,
        /^Internal error occurred: requested impersonation .* without impersonating a user$/,
      );
      return true;
    },
  );
});
