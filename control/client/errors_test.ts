import assert from "node:assert/strict";
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
  RequestError,
  StatusError,
} from "./errors.ts";

function status(code: number, reason: string, message = `${reason} happened`) {
  return { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message };
}

Deno.test("StatusError.fromText() keeps the code, reason, message and details of a Status", () => {
  const body = {
    ...status(409, "AlreadyExists", 'configmaps "a" already exists'),
    details: { name: "a", kind: "configmaps" },
  };
  const err = StatusError.fromText(409, JSON.stringify(body), { method: "POST" });
  assert.equal(err.name, "StatusError");
  assert.equal(err.code, 409);
  assert.equal(err.reason, "AlreadyExists");
  assert.equal(err.message, 'configmaps "a" already exists');
  assert.deepEqual(err.details, { name: "a", kind: "configmaps" });
  assert.deepEqual(err.status, body);
});

Deno.test("StatusError.fromText() names other bodies by their status code, as apimachinery", async (t) => {
  const cases = [
    {
      code: 404,
      method: "GET",
      text: "404 page not found",
      reason: "NotFound",
      message: "the server could not find the requested resource",
    },
    {
      code: 409,
      method: "POST",
      text: "",
      reason: "AlreadyExists",
      message: "the server reported a conflict",
    },
    {
      code: 409,
      method: "PUT",
      text: "",
      reason: "Conflict",
      message: "the server reported a conflict",
    },
    { code: 403, method: "GET", text: "no way", reason: "Forbidden", message: "no way" },
    {
      code: 400,
      method: "GET",
      text: "<html>",
      reason: "BadRequest",
      message: "the server rejected our request for an unknown reason",
    },
    {
      code: 502,
      method: "GET",
      text: "bad gateway",
      reason: "InternalError",
      message: "an error on the server has prevented the request from succeeding",
    },
    {
      code: 504,
      method: "GET",
      text: "",
      reason: "Timeout",
      message:
        "the server was unable to return a response in the time allotted, but may still be processing the request",
    },
    {
      code: 418,
      method: "GET",
      text: "",
      reason: "",
      message: "the server responded with the status code 418 but did not return more information",
    },
  ];
  for (const c of cases) {
    await t.step(`${c.code} ${c.method}`, () => {
      const err = StatusError.fromText(c.code, c.text, { method: c.method });
      assert.equal(err.code, c.code);
      assert.equal(err.reason, c.reason);
      assert.equal(err.message, c.message);
    });
  }
});

Deno.test("StatusError.fromText() reads Retry-After of a 429 into details", () => {
  const err = StatusError.fromText(429, "slow down", {
    headers: new Headers({ "retry-after": "3" }),
  });
  assert.ok(isTooManyRequests(err));
  assert.equal(err.details?.retryAfterSeconds, 3);
});

Deno.test("StatusError.fromBody() reads a watch ERROR event's Status", () => {
  const err = StatusError.fromBody(410, status(410, "Expired", "too old resource version: 2 (9)"));
  assert.ok(isGone(err));
  assert.equal(err.message, "too old resource version: 2 (9)");
  assert.equal(StatusError.fromBody(500, { nope: 1 }).reason, "InternalError");
});

Deno.test("isNotFound() and the other predicates test the reason, else the code", async (t) => {
  const predicates = {
    isNotFound,
    isAlreadyExists,
    isConflict,
    isGone,
    isForbidden,
    isTooManyRequests,
    isInvalid,
  };
  const cases: { name: string; err: unknown; yes: (keyof typeof predicates)[] }[] = [
    {
      name: "NotFound",
      err: StatusError.fromBody(404, status(404, "NotFound")),
      yes: ["isNotFound"],
    },
    {
      name: "AlreadyExists",
      err: StatusError.fromBody(409, status(409, "AlreadyExists")),
      yes: ["isAlreadyExists"],
    },
    {
      name: "Conflict",
      err: StatusError.fromBody(409, status(409, "Conflict")),
      yes: ["isConflict"],
    },
    { name: "Expired", err: StatusError.fromBody(410, status(410, "Expired")), yes: ["isGone"] },
    { name: "Gone", err: StatusError.fromBody(410, status(410, "Gone")), yes: ["isGone"] },
    {
      name: "Forbidden",
      err: StatusError.fromBody(403, status(403, "Forbidden")),
      yes: ["isForbidden"],
    },
    {
      name: "TooManyRequests",
      err: StatusError.fromBody(429, status(429, "TooManyRequests")),
      yes: ["isTooManyRequests"],
    },
    { name: "Invalid", err: StatusError.fromBody(422, status(422, "Invalid")), yes: ["isInvalid"] },
    { name: "a 404 without reason", err: StatusError.fromText(404, "", {}), yes: ["isNotFound"] },
    { name: "a 409 without reason", err: new StatusError({ code: 409 }), yes: ["isConflict"] },
    { name: "a plain Error", err: new Error("not found"), yes: [] },
    { name: "a RequestError", err: new RequestError("GET", "/api/v1/pods"), yes: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      for (const [name, predicate] of Object.entries(predicates)) {
        assert.equal(predicate(c.err), c.yes.includes(name as keyof typeof predicates), name);
      }
    });
  }
});

Deno.test("RequestError names the request and keeps the cause", () => {
  const cause = new TypeError("error sending request: connection refused");
  const err = new RequestError("GET", "/api/v1/pods", { cause });
  assert.equal(err.message, "Cannot GET /api/v1/pods: error sending request: connection refused");
  assert.equal(err.cause, cause);
  assert.equal(err.name, "RequestError");
});
