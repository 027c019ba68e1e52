/**
 * The encryption key file `<data-dir>/encryption-config.yaml`, in kube-apiserver's
 * `EncryptionConfiguration` format (`apiserver.config.k8s.io/v1`): which resources are encrypted
 * and their providers, first one writing. skiff implements the `aesgcm` and `identity`
 * providers; `aescbc`, `secretbox` and `kms` are refused with a clear error (upstream deprecates
 * `aescbc`, whose values carry no binding to their key, and no skiff datastore ever held values
 * of the others). Resources are core resources named one by one (`secrets`, `configmaps`):
 * their objects live under `/registry/<resource>/`.
 *
 * The server creates the file on first start, with one random AES-256 key and `identity` after
 * it (so values written before encryption was enabled stay readable), mode 0600.
 *
 * @example Parse a config and derive the storage options
 * ```ts
 * import assert from "node:assert/strict";
 * import { encryptingStorageOptionsOf, parseEncryptionConfig } from "./encryption_config.ts";
 *
 * const config = parseEncryptionConfig(`
 * apiVersion: apiserver.config.k8s.io/v1
 * kind: EncryptionConfiguration
 * resources:
 *   - resources: [secrets]
 *     providers:
 *       - aesgcm:
 *           keys:
 *             - name: key1
 *               secret: ${btoa("0123456789abcdef0123456789abcdef")}
 *       - identity: {}
 * `, { path: "/var/lib/skiff/encryption-config.yaml" });
 * assert.equal(encryptingStorageOptionsOf(config).prefixes[0]?.prefix, "/registry/secrets/");
 * ```
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { writeFileAtomic } from "../util/atomic_file.ts";
import type {
  EncryptedPrefix,
  EncryptingStorageOptions,
  EncryptionKey,
  EncryptionProvider,
} from "./encrypting_storage.ts";

/** The file's name inside the data directory. */
export const ENCRYPTION_CONFIG_FILE = "encryption-config.yaml";
/** The `apiVersion` of the file, as upstream's. */
export const ENCRYPTION_CONFIG_API_VERSION = "apiserver.config.k8s.io/v1";
/** The `kind` of the file, as upstream's. */
export const ENCRYPTION_CONFIG_KIND = "EncryptionConfiguration";
/** The bytes of every key skiff generates (AES-256). */
export const GENERATED_KEY_BYTES = 32;
/** The mode the file is written with. */
export const ENCRYPTION_CONFIG_MODE = 0o600;

/** The providers of some resources, first one writing. */
export interface ResourceEncryption {
  /** Core resources, plural and lowercase: `secrets`. */
  readonly resources: readonly string[];
  readonly providers: readonly EncryptionProvider[];
}

/** An `EncryptionConfiguration`. */
export interface EncryptionConfiguration {
  readonly resources: readonly ResourceEncryption[];
}

/** A config file that cannot be used; the message names the file and the field. */
export class EncryptionConfigError extends Error {
  /** The file. */
  readonly path: string;
  /** The field, as `resources[0].providers[1].aesgcm.keys[0].secret`; empty for the whole file. */
  readonly field: string;
  constructor(path: string, field: string, problem: string, options?: ErrorOptions) {
    super(
      `Cannot load encryption config "${path}": ${field ? `${field}: ` : ""}${problem}`,
      options,
    );
    this.name = "EncryptionConfigError";
    this.path = path;
    this.field = field;
  }
}

/** Options of {@linkcode parseEncryptionConfig}. */
export interface ParseEncryptionConfigOptions {
  /** The file the text came from, for error messages. */
  readonly path: string;
}

/** Options of {@linkcode ensureEncryptionConfig}. */
export interface EnsureEncryptionConfigOptions {
  /** The data directory; the file is `<dataDir>/encryption-config.yaml`. */
  readonly dataDir: string;
}

/** What {@linkcode ensureEncryptionConfig} found or created. */
export interface EnsuredEncryptionConfig {
  readonly path: string;
  readonly config: EncryptionConfiguration;
  /** Whether this call created the file. */
  readonly created: boolean;
  /** The file's permission bits (to warn when others may read it), `null` where unknown. */
  readonly mode: number | null;
}

const SUPPORTED = ["aesgcm", "identity"];
const RESOURCE_NAME = /^[a-z][a-z0-9]*$/;
const HEADER = [
  "# skiff's keys for Secrets encrypted at rest (kube-apiserver's EncryptionConfiguration).",
  "# Keep this file private and back it up with the datastore: without it, Secrets are lost.",
  "# Rotate keys with `skiff secrets-encrypt rotate-keys`; edit by hand only when the server is",
  "# stopped.",
  "",
].join("\n");

type Fields = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Reads one file's fields, failing with the file and the field. */
class Reader {
  readonly #path: string;
  constructor(path: string) {
    this.#path = path;
  }

  fail(field: string, problem: string): never {
    throw new EncryptionConfigError(this.#path, field, problem);
  }

  mapping(field: string, value: unknown, allowed: readonly string[]): Fields {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.fail(field, `expected a mapping, found ${describe(value)}`);
    }
    for (const name of Object.keys(value)) {
      if (!allowed.includes(name)) {
        this.fail(
          field ? `${field}.${name}` : name,
          `unknown field, expected one of ${allowed.join(", ")}`,
        );
      }
    }
    return value as Fields;
  }

  list(field: string, value: unknown): unknown[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(field, `expected a non-empty list, found ${describe(value)}`);
    }
    return value;
  }

  string(field: string, value: unknown): string {
    if (typeof value !== "string" || value === "") {
      this.fail(field, `expected a non-empty string, found ${describe(value)}`);
    }
    return value;
  }
}

function decodeSecret(reader: Reader, field: string, value: unknown): Uint8Array {
  const text = reader.string(field, value);
  let bytes: Uint8Array;
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new SyntaxError("not base64");
    bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return reader.fail(field, "expected a base64-encoded key (standard alphabet)");
  }
  if (bytes.byteLength !== 16 && bytes.byteLength !== 24 && bytes.byteLength !== 32) {
    reader.fail(field, `expected a key of 16, 24 or 32 bytes, found ${bytes.byteLength}`);
  }
  return bytes;
}

function parseProvider(
  reader: Reader,
  field: string,
  value: unknown,
  names: Set<string>,
): EncryptionProvider {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    reader.fail(field, `expected a mapping with one provider, found ${describe(value)}`);
  }
  const types = Object.keys(value);
  if (types.length !== 1) {
    reader.fail(
      field,
      `expected exactly one provider, found ${types.length === 0 ? "none" : types.join(", ")}`,
    );
  }
  const type = types[0]!;
  const body = (value as Fields)[type];
  if (!SUPPORTED.includes(type)) {
    reader.fail(
      `${field}.${type}`,
      `provider "${type}" is not supported, expected one of ${SUPPORTED.join(", ")}`,
    );
  }
  if (type === "identity") {
    if (body !== null && body !== undefined) reader.mapping(`${field}.identity`, body, []);
    return { type: "identity" };
  }
  const aesgcm = reader.mapping(`${field}.aesgcm`, body, ["keys"]);
  const keys: EncryptionKey[] = [];
  for (const [k, item] of reader.list(`${field}.aesgcm.keys`, aesgcm.keys).entries()) {
    const at = `${field}.aesgcm.keys[${k}]`;
    const key = reader.mapping(at, item, ["name", "secret"]);
    const name = reader.string(`${at}.name`, key.name);
    if (name.includes(":")) reader.fail(`${at}.name`, `key name "${name}" must not contain ":"`);
    if (names.has(name)) {
      reader.fail(`${at}.name`, `key name "${name}" is used twice for the same resources`);
    }
    names.add(name);
    keys.push({ name, secret: decodeSecret(reader, `${at}.secret`, key.secret) });
  }
  return { type: "aesgcm", keys };
}

/**
 * Parses and validates the text of an `EncryptionConfiguration` (YAML or JSON). Throws
 * {@linkcode EncryptionConfigError} naming `options.path` and the field at fault.
 */
export function parseEncryptionConfig(
  text: string,
  options: ParseEncryptionConfigOptions,
): EncryptionConfiguration {
  const reader = new Reader(options.path);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new EncryptionConfigError(options.path, "", "it is not valid YAML", { cause: err });
  }
  const root = reader.mapping("", doc, ["apiVersion", "kind", "resources"]);
  if (root.apiVersion !== ENCRYPTION_CONFIG_API_VERSION) {
    reader.fail(
      "apiVersion",
      `expected "${ENCRYPTION_CONFIG_API_VERSION}", found ${describe(root.apiVersion)}`,
    );
  }
  if (root.kind !== ENCRYPTION_CONFIG_KIND) {
    reader.fail("kind", `expected "${ENCRYPTION_CONFIG_KIND}", found ${describe(root.kind)}`);
  }
  const seen = new Map<string, string>();
  const resources: ResourceEncryption[] = [];
  for (const [i, item] of reader.list("resources", root.resources).entries()) {
    const at = `resources[${i}]`;
    const entry = reader.mapping(at, item, ["resources", "providers"]);
    const names: string[] = [];
    for (const [j, name] of reader.list(`${at}.resources`, entry.resources).entries()) {
      const field = `${at}.resources[${j}]`;
      const resource = reader.string(field, name);
      if (!RESOURCE_NAME.test(resource)) {
        reader.fail(
          field,
          `resource "${resource}" is not supported: skiff encrypts core resources named one by one, such as "secrets"`,
        );
      }
      const first = seen.get(resource);
      if (first !== undefined) {
        reader.fail(field, `resource "${resource}" is already listed at ${first}`);
      }
      seen.set(resource, field);
      names.push(resource);
    }
    const keyNames = new Set<string>();
    const providers = reader.list(`${at}.providers`, entry.providers).map((p, j) =>
      parseProvider(reader, `${at}.providers[${j}]`, p, keyNames)
    );
    resources.push({ resources: names, providers });
  }
  return { resources };
}

function encodeSecret(secret: Uint8Array): string {
  let text = "";
  for (const byte of secret) text += String.fromCharCode(byte);
  return btoa(text);
}

/** The file text of `config`, with a header comment. */
export function formatEncryptionConfig(config: EncryptionConfiguration): string {
  const doc = {
    apiVersion: ENCRYPTION_CONFIG_API_VERSION,
    kind: ENCRYPTION_CONFIG_KIND,
    resources: config.resources.map((r) => ({
      resources: [...r.resources],
      providers: r.providers.map((p) =>
        p.type === "identity" ? { identity: {} } : {
          aesgcm: { keys: p.keys.map((k) => ({ name: k.name, secret: encodeSecret(k.secret) })) },
        }
      ),
    })),
  };
  return HEADER + stringify(doc);
}

/** A new random AES-256 key named `name`. */
export function newEncryptionKey(name: string): EncryptionKey {
  return { name, secret: crypto.getRandomValues(new Uint8Array(GENERATED_KEY_BYTES)) };
}

/** The config a first start writes: Secrets under a new random key `key1`, then `identity`. */
export function defaultEncryptionConfig(): EncryptionConfiguration {
  return {
    resources: [{
      resources: ["secrets"],
      providers: [{ type: "aesgcm", keys: [newEncryptionKey("key1")] }, { type: "identity" }],
    }],
  };
}

/** The storage prefix of a core resource's objects. */
export function resourcePrefix(resource: string): string {
  return `/registry/${resource}/`;
}

/** The {@linkcode EncryptedPrefix}es of `config`: one per resource. */
export function encryptedPrefixesOf(config: EncryptionConfiguration): EncryptedPrefix[] {
  return config.resources.flatMap((r) =>
    r.resources.map((resource) => ({ prefix: resourcePrefix(resource), providers: r.providers }))
  );
}

/** The options of an `EncryptingStorage` applying `config`. */
export function encryptingStorageOptionsOf(
  config: EncryptionConfiguration,
): EncryptingStorageOptions {
  return { prefixes: encryptedPrefixesOf(config) };
}

/** Reads and validates the config file at `path`. */
export async function loadEncryptionConfig(path: string): Promise<EncryptionConfiguration> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new EncryptionConfigError(path, "", "cannot read the file", { cause: err });
  }
  return parseEncryptionConfig(text, { path });
}

/** Writes `config` to `path` atomically, mode 0600. */
export async function writeEncryptionConfig(
  path: string,
  config: EncryptionConfiguration,
): Promise<void> {
  await writeFileAtomic(path, {
    data: formatEncryptionConfig(config),
    mode: ENCRYPTION_CONFIG_MODE,
  });
}

/**
 * Loads `<dataDir>/encryption-config.yaml`, creating it with {@linkcode defaultEncryptionConfig}
 * (mode 0600) when it does not exist.
 */
export async function ensureEncryptionConfig(
  options: EnsureEncryptionConfigOptions,
): Promise<EnsuredEncryptionConfig> {
  const path = `${options.dataDir}/${ENCRYPTION_CONFIG_FILE}`;
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new EncryptionConfigError(path, "", "cannot read the file", { cause: err });
    }
  }
  if (info === null) {
    const config = defaultEncryptionConfig();
    await writeEncryptionConfig(path, config);
    return { path, config, created: true, mode: ENCRYPTION_CONFIG_MODE };
  }
  const config = await loadEncryptionConfig(path);
  return { path, config, created: false, mode: info.mode === null ? null : info.mode & 0o777 };
}
