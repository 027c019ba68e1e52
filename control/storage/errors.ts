/**
 * Typed storage errors. Only `control/api/errors.ts` turns them into HTTP responses.
 *
 * @module
 */

/** The base of every domain error the storage layer throws. */
export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}

/** A key, prefix, revision or continue token that storage refuses to use. */
export class InvalidInputError extends StorageError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** The key does not exist. */
export class KeyNotFoundError extends StorageError {
  readonly key: string;
  constructor(key: string) {
    super(`Cannot find key "${key}"`);
    this.name = "KeyNotFoundError";
    this.key = key;
  }
}

/** A create found the key already there. */
export class KeyExistsError extends StorageError {
  readonly key: string;
  constructor(key: string) {
    super(`Cannot create key "${key}": it already exists`);
    this.name = "KeyExistsError";
    this.key = key;
  }
}

/** A guarded write expected another revision than the key has. */
export class ConflictError extends StorageError {
  readonly key: string;
  /** The key's current modRevision, or 0 when it no longer exists. */
  readonly currentRevision: number;
  constructor(key: string, expectedRevision: number, currentRevision: number) {
    super(
      `Cannot write key "${key}": expected revision ${expectedRevision}, found ${currentRevision}`,
    );
    this.name = "ConflictError";
    this.key = key;
    this.currentRevision = currentRevision;
  }
}

/** The requested revision's history has been compacted away ("too old resource version"). */
export class CompactedError extends StorageError {
  readonly revision: number;
  readonly compactedRevision: number;
  constructor(revision: number, compactedRevision: number) {
    super(
      `Cannot read revision ${revision}: too old, history is compacted to revision ${compactedRevision}`,
    );
    this.name = "CompactedError";
    this.revision = revision;
    this.compactedRevision = compactedRevision;
  }
}

/** The requested revision is newer than the store's current revision. */
export class FutureRevisionError extends StorageError {
  readonly revision: number;
  readonly currentRevision: number;
  constructor(revision: number, currentRevision: number) {
    super(
      `Cannot read revision ${revision}: it is in the future, the current revision is ${currentRevision}`,
    );
    this.name = "FutureRevisionError";
    this.revision = revision;
    this.currentRevision = currentRevision;
  }
}

/** The backend is closed, or lost its connection and the operation cannot complete. */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageUnavailableError";
  }
}
