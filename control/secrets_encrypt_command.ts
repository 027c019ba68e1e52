/**
 * `skiff secrets-encrypt status|rotate-keys` (k3s's command names): reports and rotates the keys
 * that encrypt Secrets at rest (`<data-dir>/encryption-config.yaml`).
 *
 * How it reaches the storage: the running server owns it. A Deno KV file is locked by the one
 * process that opened it, and that process's watchers (the watch caches and object views every
 * request reads) see only its own writes, so a second process re-encrypting Secrets behind the
 * server's back would leave the server serving stale objects; with etcd, a server keeping the
 * old key list in memory could write with a key the command is about to drop. So the command
 * asks the server, over HTTPS with the admin kubeconfig (`<data-dir>/kubeconfig.yaml`, the
 * cluster CA verifying the server, the admin client certificate authenticating the command), to
 * do it: `GET /v1-skiff/secrets-encrypt/status` and `POST /v1-skiff/secrets-encrypt/rotate-keys`
 * (see `api/secrets_encrypt_route.ts`), allowed only to `system:masters`.
 *
 * When no server answers and the storage is a Deno KV file, the command opens the file itself:
 * taking its lock proves no server has it open (and a server started meanwhile waits for the
 * lock to fail rather than run beside it). With etcd nothing proves that, so the command asks
 * for a running server.
 *
 * Exit codes as the rest of the command line: 0 success, 1 the operation failed, 2 a usage
 * error.
 *
 * @example Print the usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { runSecretsEncryptCommand } from "./secrets_encrypt_command.ts";
 * import { BufferWriter } from "./util/mod.ts";
 *
 * const stdout = new BufferWriter();
 * const code = await runSecretsEncryptCommand(["--help"], {
 *   stdout,
 *   stderr: new BufferWriter(),
 *   config: { env: {}, hostname: () => "h", uid: () => 0, cwd: () => "/", readTextFile: () => Promise.reject(new Error("none")) },
 * });
 * assert.equal(code, 0);
 * assert.match(stdout.text(), /^Usage: skiff secrets-encrypt/);
 * ```
 *
 * @module
 */
import {
  SECRETS_ENCRYPT_ROTATE_PATH,
  SECRETS_ENCRYPT_STATUS_PATH,
} from "./api/secrets_encrypt_route.ts";
import { type ConfigDeps, ConfigError, loadServerConfig, type ServerConfig } from "./config.ts";
import { openEncryptingStorage } from "./storage/encrypting_storage.ts";
import {
  encryptingStorageOptionsOf,
  ENCRYPTION_CONFIG_FILE,
  EncryptionConfigError,
  loadEncryptionConfig,
} from "./storage/encryption_config.ts";
import {
  EncryptionKeyManager,
  type EncryptionStatus,
  RotationError,
  type RotationResult,
} from "./storage/encryption_rotation.ts";
import { StorageUnavailableError } from "./storage/errors.ts";
import { openStorage } from "./storage/registry.ts";
import type { Storage } from "./storage/types.ts";
import {
  type ApiConnection,
  type ApiTls,
  connectWithDenoHttpClient,
  parseAdminKubeconfig,
  statusMessage,
} from "./admin_connection.ts";
import { type SyncWriter, writeTextSync } from "./util/writer.ts";

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const STATUS_TIMEOUT_MS = 60_000;

/** The subcommands. */
export const SECRETS_ENCRYPT_COMMANDS = ["status", "rotate-keys"] as const;
type Subcommand = typeof SECRETS_ENCRYPT_COMMANDS[number];

/** What {@linkcode runSecretsEncryptCommand} needs from the outside world. */
export interface SecretsEncryptDeps {
  readonly stdout: SyncWriter;
  readonly stderr: SyncWriter;
  /** For `--data-dir`, `--config`, `--storage` and their environment variables, and files. */
  readonly config: ConfigDeps;
  /** Opens an HTTPS client for the admin kubeconfig. @default {connectWithDenoHttpClient} */
  readonly connect?: (tls: ApiTls) => ApiConnection;
  /** Opens the storage when no server answers (Deno KV only). @default {openStorage} */
  readonly openStorage?: (url: string) => Promise<Storage>;
}

function usage(): string {
  return [
    "Usage: skiff secrets-encrypt <command> [flags]",
    "",
    "Manages the keys that encrypt Secrets at rest (<data-dir>/encryption-config.yaml), through",
    "the running server with the admin kubeconfig <data-dir>/kubeconfig.yaml. With the Deno KV",
    "datastore and no server running, works on the datastore directly.",
    "",
    "Commands:",
    "  status       print whether encryption is on, the current key and the values on each key",
    "  rotate-keys  add a new key, re-encrypt every Secret with it, then drop the old keys",
    "",
    "Flags:",
    "  --data-dir DIR   the server's data directory (default /var/lib/skiff as root,",
    "                   ~/.skiff otherwise; also SKIFF_DATA_DIR)",
    "  --config FILE    the server's config file, for its data-dir and storage",
    "  --storage kv|etcd, --etcd-endpoints URL,...  as given to skiff server",
    "",
  ].join("\n");
}

function print(writer: SyncWriter, text: string): void {
  writeTextSync(writer, text.endsWith("\n") ? text : `${text}\n`);
}

/** Lowercases a message's first letter to follow a `skiff secrets-encrypt <command>:` prefix. */
function asClause(message: string): string {
  return /^[A-Z][a-z]/.test(message) ? message[0]!.toLowerCase() + message.slice(1) : message;
}

/** A failure to report on stderr with exit code 1. */
class CommandError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandError";
  }
}

/** The server could not be reached (no answer at all, as opposed to an error answer). */
class UnreachableError extends CommandError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnreachableError";
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The text `status` prints. */
export function formatEncryptionStatus(status: EncryptionStatus): string {
  const writeKeys = [...new Set(status.resources.map((r) => r.writeKey ?? "identity"))];
  const lines = [
    `Encryption status: ${status.enabled ? "Enabled" : "Disabled"}`,
    `Current key: ${
      writeKeys.length === 0
        ? "none"
        : writeKeys.map((k) => k === "identity" ? "none (plaintext)" : k)
          .join(", ")
    }`,
    `Key file: ${status.path}`,
    `Rotation: ${status.rotating ? "running" : "idle"}`,
    "",
  ];
  const rows: string[][] = [["ACTIVE", "RESOURCE", "KEY", "VALUES"]];
  for (const r of status.resources) {
    const names = [...r.keys, ...Object.keys(r.encrypted).filter((k) => !r.keys.includes(k))];
    for (const name of names) {
      rows.push([
        name === r.writeKey ? "*" : "",
        r.resource,
        r.keys.includes(name) ? name : `${name} (not in the key file)`,
        String(r.encrypted[name] ?? 0),
      ]);
    }
    rows.push([r.writeKey === null ? "*" : "", r.resource, "(plaintext)", String(r.plaintext)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) {
    lines.push(
      row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  "),
    );
  }
  return lines.join("\n") + "\n";
}

/** The text `rotate-keys` prints. */
export function formatRotationResult(result: RotationResult): string {
  const dropped = result.droppedKeys.length === 0
    ? "no key dropped"
    : `dropped ${result.droppedKeys.map((k) => JSON.stringify(k)).join(", ")}`;
  const lines = [
    `Rotated encryption keys: the current key is ${JSON.stringify(result.newKey)}, ${dropped}`,
  ];
  for (const r of result.resources) {
    lines.push(
      `${r.resource}: ${plural(r.rewritten, "value")} re-encrypted, ${r.current} already on ${
        JSON.stringify(result.newKey)
      }, ${plural(r.conflicts, "conflict")} retried, ${r.gone} deleted meanwhile`,
    );
  }
  return lines.join("\n") + "\n";
}

async function readTls(config: ServerConfig, deps: SecretsEncryptDeps): Promise<ApiTls> {
  const path = `${config.dataDir}/kubeconfig.yaml`;
  let text: string;
  try {
    text = await deps.config.readTextFile(path);
  } catch (err) {
    throw new UnreachableError(`cannot read the admin kubeconfig ${JSON.stringify(path)}`, {
      cause: err,
    });
  }
  try {
    return parseAdminKubeconfig(text);
  } catch (err) {
    throw new CommandError(`cannot use ${JSON.stringify(path)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The message of the server's error answer. A 500 `InternalError` wraps the server's own error
 * (`Internal error occurred: <cause>`) and carries it as its first cause: the cause alone reads
 * as the same failure does on the offline path.
 */
async function errorMessage(res: Response): Promise<string> {
  if (res.status === 500) {
    const body = await res.clone().json().catch(() => null) as {
      reason?: unknown;
      details?: { causes?: { message?: unknown }[] };
    } | null;
    const cause = body?.details?.causes?.[0]?.message;
    if (body?.reason === "InternalError" && typeof cause === "string" && cause !== "") {
      await res.body?.cancel();
      return cause;
    }
  }
  return await statusMessage(res);
}

/** Asks the server; throws {@linkcode UnreachableError} when it does not answer. */
async function viaServer(
  command: Subcommand,
  context: { config: ServerConfig; deps: SecretsEncryptDeps },
): Promise<EncryptionStatus | RotationResult> {
  const tls = await readTls(context.config, context.deps);
  using connection = (context.deps.connect ?? connectWithDenoHttpClient)(tls);
  const path = command === "status" ? SECRETS_ENCRYPT_STATUS_PATH : SECRETS_ENCRYPT_ROTATE_PATH;
  let res: Response;
  try {
    res = await connection.fetch(`${tls.serverUrl.replace(/\/+$/, "")}${path}`, {
      method: command === "status" ? "GET" : "POST",
      headers: { accept: "application/json" },
      // A rotation takes as long as re-encrypting every Secret: no timeout.
      ...(command === "status" ? { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) } : {}),
    });
  } catch (err) {
    throw new UnreachableError(
      `cannot reach the API server at ${JSON.stringify(tls.serverUrl)}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
  if (!res.ok) throw new CommandError(await errorMessage(res));
  return await res.json() as EncryptionStatus | RotationResult;
}

/** Works on a Deno KV datastore no server has open. */
async function offline(
  command: Subcommand,
  context: { config: ServerConfig; deps: SecretsEncryptDeps; unreachable: UnreachableError },
): Promise<EncryptionStatus | RotationResult> {
  const { config, deps, unreachable } = context;
  if (config.storage !== "kv") {
    throw new CommandError(
      `${unreachable.message}: with --storage etcd the command needs the running server, start "skiff server --data-dir ${config.dataDir}"`,
      { cause: unreachable },
    );
  }
  const path = `${config.dataDir}/${ENCRYPTION_CONFIG_FILE}`;
  let encryption;
  try {
    encryption = await loadEncryptionConfig(path);
  } catch (err) {
    if (!(err instanceof EncryptionConfigError && err.cause instanceof Deno.errors.NotFound)) {
      throw err;
    }
    throw new CommandError(
      `${unreachable.message}, and there is no key file ${
        JSON.stringify(path)
      }: start "skiff server --data-dir ${config.dataDir}" first`,
      { cause: err },
    );
  }
  let raw: Storage;
  try {
    raw = await (deps.openStorage ?? openStorage)(config.storageUrl);
  } catch (err) {
    if (!(err instanceof StorageUnavailableError)) throw err;
    throw new CommandError(
      `${unreachable.message}, and the datastore is in use by another process: ${err.message}`,
      { cause: err },
    );
  }
  await using storage = await openEncryptingStorage(raw, encryptingStorageOptionsOf(encryption))
    .catch(async (err) => {
      await raw.close();
      throw err;
    });
  const keys = new EncryptionKeyManager({ storage, path, config: encryption });
  return command === "status" ? await keys.status() : await keys.rotate();
}

/**
 * Runs `skiff secrets-encrypt` with `args` (after `secrets-encrypt`) and returns the exit code.
 */
export async function runSecretsEncryptCommand(
  args: readonly string[],
  deps: SecretsEncryptDeps,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === "--help" || command === "-h" || command === "help" || rest.includes("--help")) {
    print(deps.stdout, usage());
    return EXIT_OK;
  }
  if (command === undefined || !(SECRETS_ENCRYPT_COMMANDS as readonly string[]).includes(command)) {
    const what = command === undefined
      ? "missing command"
      : `unknown command ${JSON.stringify(command)}`;
    print(
      deps.stderr,
      `skiff secrets-encrypt: ${what}: expected one of ${
        SECRETS_ENCRYPT_COMMANDS.join(", ")
      }\n\n${usage()}`,
    );
    return EXIT_USAGE;
  }
  const sub = command as Subcommand;
  const prefix = `skiff secrets-encrypt ${sub}`;
  let config: ServerConfig;
  try {
    // Only the data directory and storage matter: a hostname that is no node name must not fail.
    config = await loadServerConfig(rest, { ...deps.config, hostname: () => "skiff" });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print(deps.stderr, `${prefix}: ${asClause(err.message)}`);
    print(deps.stderr, `Run "skiff secrets-encrypt --help" for the flags.`);
    return EXIT_USAGE;
  }
  let result: EncryptionStatus | RotationResult;
  try {
    try {
      result = await viaServer(sub, { config, deps });
    } catch (err) {
      if (!(err instanceof UnreachableError)) throw err;
      result = await offline(sub, { config, deps, unreachable: err });
    }
  } catch (err) {
    if (
      err instanceof CommandError || err instanceof RotationError ||
      err instanceof EncryptionConfigError || err instanceof StorageUnavailableError
    ) {
      print(deps.stderr, `${prefix}: ${asClause(err.message)}`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  print(
    deps.stdout,
    sub === "status"
      ? formatEncryptionStatus(result as EncryptionStatus)
      : formatRotationResult(result as RotationResult),
  );
  return EXIT_OK;
}
