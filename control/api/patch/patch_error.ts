/**
 * Why a patch could not be applied, with the HTTP code, `Status` reason and message the real API
 * server (v1.33, `apiserver/pkg/endpoints/handlers/patch.go`) answers, since kubectl prints them
 * (`Error from server (BadRequest): invalid patch format of retainKeys`). A
 * {@linkcode PatchError} is an {@linkcode ApiError}, so the handler renders it like any other.
 *
 * How upstream maps each failure:
 *
 * | failure | code, reason | message |
 * |---|---|---|
 * | JSON patch or merge patch body not of the right shape (strict decoding, the default `fieldValidation=Warn`) | 400 `BadRequest` | `error decoding patch: json: cannot unmarshal …` |
 * | merge patch `null` (evanphx `ErrBadJSONPatch`) | 400 `BadRequest` | `Invalid JSON Patch` |
 * | strategic merge patch body not an object | 400 `BadRequest` | `json: cannot unmarshal array into Go value of type map[string]interface {}` |
 * | JSON patch with more than 10000 operations (`maxJSONPatchOperations`) | 413 `RequestEntityTooLarge` | `Request entity too large: The allowed maximum operations in a JSON patch is 10000, got N` |
 * | any JSON patch operation failing (`test` failed, missing path, bad index, copies over `JSONPatchMaxCopyBytes`) | 422 `Invalid`, `details: {}` | `the server rejected our request due to an error in our request` (upstream's `NewGenericServerResponse` drops the detail; skiff keeps it as the `cause`) |
 * | strategic merge patch: `mergepatch.ErrBadJSONDoc`, `ErrBadPatchFormatForPrimitiveList`, `…ForRetainKeys`, `…ForSetElementOrderList`, `ErrUnsupportedStrategicMergePatchFormat` (`interpretStrategicMergePatchError`) | 400 `BadRequest` | the error text |
 * | strategic merge patch: `ErrNoListOfLists` | 422 `Invalid`, `details: {}` | `the server rejected our request due to an error in our request` |
 * | strategic merge patch: any other error (missing merge key, unknown `$patch`, unknown field) | 500, no reason (`ErrorToAPIStatus` of a plain error) | the error text: kubectl prints `Error from server: map: map[image:x] does not contain declared merge key: name` |
 * | strategic merge patch input on which upstream's Go code panics (comparing two maps, a `null` list item, a map in `$retainKeys`) | 500 (its panic recovery) | `This request caused apiserver to panic. Look in the logs for details.` |
 * | unsupported `Content-Type` | 415 `UnsupportedMediaType` (`ApiError.unsupportedMediaType` with `patch_type.ts`' lists) | `the body of the request was in an unknown format - accepted media types include: …` |
 * | a patch nesting deeper than skiff's limit (Go's decoder stops at 10000 levels) | 400 `BadRequest` | `exceeded max depth` |
 *
 * @example Render a failed JSON patch test
 * ```ts
 * import assert from "node:assert/strict";
 * import { PatchError } from "./patch_error.ts";
 *
 * const err = PatchError.rejected("testing value /metadata/name failed: test failed");
 * assert.equal(err.code, 422);
 * assert.equal(err.toStatus().message, "the server rejected our request due to an error in our request");
 * ```
 *
 * @module
 */
import { ApiError, type ApiErrorOptions } from "../errors.ts";

/** The most operations a JSON patch may have (upstream's `maxJSONPatchOperations`). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** The message upstream's `NewGenericServerResponse` gives every 422 it builds. */
export const PATCH_REJECTED_MESSAGE =
  "the server rejected our request due to an error in our request";

/** A patch that could not be applied; renders as the `Status` the real API server answers. */
export class PatchError extends ApiError {
  constructor(message: string, options: ApiErrorOptions) {
    super(message, options);
    this.name = "PatchError";
  }

  /** 400 `BadRequest` with `message`. */
  static override badRequest(message: string): PatchError {
    return new PatchError(message, { code: 400, reason: "BadRequest" });
  }

  /**
   * 422 `Invalid` with upstream's generic message and empty details; `detail` (what failed) is
   * kept as the error's `cause` for logs, since the API server does not send it.
   */
  static rejected(detail: string): PatchError {
    return new PatchError(PATCH_REJECTED_MESSAGE, {
      code: 422,
      reason: "Invalid",
      details: {},
      cause: new Error(detail),
    });
  }

  /**
   * 413 `RequestEntityTooLarge` for a JSON patch of `count` operations, over
   * {@linkcode MAX_JSON_PATCH_OPERATIONS}.
   */
  static tooManyOperations(count: number): PatchError {
    return new PatchError(
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${count}`,
      { code: 413, reason: "RequestEntityTooLarge" },
    );
  }

  /** 500 without a reason: how the API server answers an error that is not a `Status`. */
  static serverError(message: string): PatchError {
    return new PatchError(message, { code: 500, reason: "" });
  }
}
