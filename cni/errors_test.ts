import assert from "node:assert/strict";
import { CNI_ERROR_CODES, CniError, toCniError } from "./errors.ts";

Deno.test("CniError.toJson() is the spec's error JSON", () => {
  const err = new CniError(CNI_ERROR_CODES.invalidEnvironment, "Missing CNI_NETNS", {
    details: "d",
  });
  assert.deepEqual(err.toJson("1.0.0"), {
    cniVersion: "1.0.0",
    code: 4,
    msg: "Missing CNI_NETNS",
    details: "d",
  });
  assert.deepEqual(new CniError(7, "bad").toJson("0.4.0"), {
    cniVersion: "0.4.0",
    code: 7,
    msg: "bad",
  });
  assert.equal(err.name, "CniError");
});

Deno.test("toCniError() keeps a CniError and turns anything else into code 999 with its causes", () => {
  const cni = new CniError(3, "gone");
  assert.equal(toCniError(cni), cni);
  const wrapped = toCniError(new Error("Cannot reserve IP", { cause: new Error("disk full") }));
  assert.equal(wrapped.code, 999);
  assert.equal(wrapped.message, "Cannot reserve IP");
  assert.equal(wrapped.details, "disk full");
  assert.deepEqual(toCniError("boom").toJson("1.0.0"), {
    cniVersion: "1.0.0",
    code: 999,
    msg: "boom",
  });
});
