/**
 * `skiff token create|list|delete`: join (bootstrap) tokens, managed as kubeadm's
 * `kubeadm token` does — as Secrets `kube-system/bootstrap-token-<id>` created, listed and
 * deleted through the running server's API, with the admin kubeconfig at
 * `<data-dir>/kubeconfig.yaml` (HTTPS verified by the cluster CA, client certificate auth).
 *
 * `create` prints the token in k3s's secure format `K10<sha256 hex of the cluster CA PEM>::<id>.<secret>`:
 * an agent given it checks the CA the server presents against the hash before it sends the
 * token (`parseJoinToken` in `api/auth/bootstrap_token.ts`); bearer authentication uses only
 * `<id>.<secret>`. `list` prints kubeadm's columns; `delete` takes ids, tokens or join tokens.
 *
 * Exit codes as the rest of the command line: 0 success, 1 a request failed, 2 a usage error.
 *
 * @example Print the usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTokenCommand } from "./token_command.ts";
 * import { BufferWriter, systemClock } from "./util/mod.ts";
 *
 * const stdout = new BufferWriter();
 * const code = await runTokenCommand(["--help"], {
 *   stdout,
 *   stderr: new BufferWriter(),
 *   clock: systemClock,
 *   config: { env: {}, hostname: () => "h", uid: () => 0, cwd: () => "/", readTextFile: () => Promise.reject(new Error("none")) },
 * });
 * assert.equal(code, 0);
 * assert.match(stdout.text(), /^Usage: skiff token/);
 * ```
 *
 * @module
 */
import {
  BOOTSTRAP_TOKEN_ID_PATTERN,
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_PATTERN,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  bootstrapTokenInfo,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  formatJoinToken,
  formatRfc3339,
  generateBootstrapToken,
  isBootstrapTokenId,
  parseBootstrapToken,
  parseJoinToken,
  parseRfc3339,
  validateBootstrapGroupName,
  validateTokenUsages,
} from "./api/auth/bootstrap_token.ts";
import { shortHumanDuration } from "./api/printers/duration.ts";
import type { KubeObject } from "./api/types/meta_v1.ts";
import {
  type ApiConnection,
  type ApiTls,
  connectWithDenoHttpClient,
  parseAdminKubeconfig,
  statusMessage,
} from "./admin_connection.ts";
import { type ConfigDeps, ConfigError, loadServerConfig } from "./config.ts";
import type { Clock } from "./util/clock.ts";
import { type SyncWriter, writeTextSync } from "./util/writer.ts";

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** The extra group `skiff token create` gives tokens that authenticate, unless `--groups`. */
export const DEFAULT_TOKEN_GROUP = "system:bootstrappers:skiff:default-node-token";
/** The default `--ttl`. */
export const DEFAULT_TOKEN_TTL_MS = 24 * 3600 * 1000;

/** What {@linkcode runTokenCommand} needs from the outside world. */
export interface TokenCommandDeps {
  readonly stdout: SyncWriter;
  readonly stderr: SyncWriter;
  /** For the data-dir default (`SKIFF_DATA_DIR`, `--config`) and reading the kubeconfig. */
  readonly config: ConfigDeps;
  readonly clock: Clock;
  /** Opens an HTTPS client for `tls`. @default {connectWithDenoHttpClient} */
  readonly connect?: (tls: ApiTls) => ApiConnection;
}

function usage(): string {
  return [
    "Usage: skiff token <command> [flags]",
    "",
    "Manages join (bootstrap) tokens of the server using --data-dir, through its API with the",
    "admin kubeconfig <data-dir>/kubeconfig.yaml.",
    "",
    "Commands:",
    "  create [TOKEN]          create a token (random unless TOKEN, as <id>.<secret>) and print",
    "                          it as K10<sha256 of the cluster CA>::<id>.<secret>",
    "  list                    list the tokens",
    "  delete ID|TOKEN...      delete tokens by id or whole token",
    "",
    "Flags:",
    "  --data-dir DIR          the server's data directory (default /var/lib/skiff as root,",
    "                          ~/.skiff otherwise; also SKIFF_DATA_DIR)",
    "  --ttl DURATION          create: how long the token lives, 0 for ever (default 24h)",
    "  --description TEXT      create: a description shown by list",
    "  --usages LIST           create: signing,authentication (default both)",
    `  --groups LIST           create: extra groups (default ${DEFAULT_TOKEN_GROUP})`,
    "",
  ].join("\n");
}

function print(writer: SyncWriter, text: string): void {
  writeTextSync(writer, text.endsWith("\n") ? text : `${text}\n`);
}

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

class CommandError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandError";
  }
}

const VALUE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  create: ["data-dir", "ttl", "description", "usages", "groups", "config"],
  list: ["data-dir", "config"],
  delete: ["data-dir", "config"],
};

interface ParsedArgs {
  readonly flags: Map<string, string>;
  readonly positionals: string[];
  readonly help: boolean;
}

function parseArgs(command: string, args: readonly string[]): ParsedArgs {
  const allowed = VALUE_FLAGS[command] ?? [];
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!allowed.includes(name)) {
      throw new UsageError(
        `unknown flag ${JSON.stringify(`--${name}`)}: expected one of ${
          allowed.map((f) => `--${f}`).join(", ")
        }`,
      );
    }
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined) throw new UsageError(`flag "--${name}" needs a value`);
      value = next;
      i++;
    }
    flags.set(name, value);
  }
  return { flags, positionals, help };
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go duration (`24h`, `1h30m`, `90s`, `0`); null when malformed. */
export function parseGoDuration(text: string): number | null {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return null;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (rest !== "") {
    const m = re.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Go's tabwriter with kubeadm's settings (min width 10, padding 3, spaces). */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) {
    let w = 10;
    for (const r of rows) w = Math.max(w, [...(r[c] ?? "")].length + 3);
    widths.push(w);
  }
  return rows.map((r) =>
    r.map((cell, c) => c < r.length - 1 ? cell + " ".repeat(widths[c]! - [...cell].length) : cell)
      .join("") + "\n"
  ).join("");
}

/** One command's run: the API connection, opened on first use. */
class Session implements Disposable {
  readonly #deps: TokenCommandDeps;
  readonly #flags: Map<string, string>;
  #tls: ApiTls | null = null;
  #connection: ApiConnection | null = null;

  constructor(deps: TokenCommandDeps, flags: Map<string, string>) {
    this.#deps = deps;
    this.#flags = flags;
  }

  async tls(): Promise<ApiTls> {
    if (this.#tls) return this.#tls;
    const args: string[] = [];
    const dataDirFlag = this.#flags.get("data-dir");
    if (dataDirFlag !== undefined) args.push("--data-dir", dataDirFlag);
    const configFlag = this.#flags.get("config");
    if (configFlag !== undefined) args.push("--config", configFlag);
    // Only the data directory matters here: a hostname that is no valid node name must not fail.
    const config = await loadServerConfig(args, { ...this.#deps.config, hostname: () => "skiff" });
    const path = `${config.dataDir}/kubeconfig.yaml`;
    let text: string;
    try {
      text = await this.#deps.config.readTextFile(path);
    } catch (err) {
      throw new CommandError(
        `cannot read ${
          JSON.stringify(path)
        }: start "skiff server --data-dir ${config.dataDir}" first`,
        { cause: err },
      );
    }
    try {
      this.#tls = parseAdminKubeconfig(text);
    } catch (err) {
      throw new CommandError(`cannot use ${JSON.stringify(path)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return this.#tls;
  }

  async request(method: string, path: string, body?: unknown): Promise<Response> {
    const tls = await this.tls();
    this.#connection ??= (this.#deps.connect ?? connectWithDenoHttpClient)(tls);
    const url = `${tls.serverUrl.replace(/\/+$/, "")}${path}`;
    try {
      return await this.#connection.fetch(url, {
        method,
        headers: {
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new CommandError(
        `cannot reach the API server at ${JSON.stringify(tls.serverUrl)}: ${
          err instanceof Error ? err.message : String(err)
        }`,
        { cause: err },
      );
    }
  }

  [Symbol.dispose](): void {
    this.#connection?.[Symbol.dispose]();
    this.#connection = null;
  }
}

const SECRETS_PATH = `/api/v1/namespaces/${BOOTSTRAP_TOKEN_NAMESPACE}/secrets`;

function splitList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

async function createToken(parsed: ParsedArgs, session: Session, deps: TokenCommandDeps) {
  if (parsed.positionals.length > 1) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[1])}`);
  }
  let given: { id: string; secret: string } | null = null;
  if (parsed.positionals.length === 1) {
    given = parseBootstrapToken(parsed.positionals[0]!);
    if (!given) {
      throw new UsageError(
        `the token ${
          JSON.stringify(parsed.positionals[0])
        } does not match ${BOOTSTRAP_TOKEN_PATTERN}`,
      );
    }
  }
  const ttlText = parsed.flags.get("ttl");
  let ttlMs = DEFAULT_TOKEN_TTL_MS;
  if (ttlText !== undefined) {
    const ms = parseGoDuration(ttlText);
    if (ms === null || ms < 0) {
      throw new UsageError(
        `invalid --ttl ${
          JSON.stringify(ttlText)
        }: expected a duration such as 24h, 90m or 0 (never expires)`,
      );
    }
    ttlMs = ms;
  }
  const usages = splitList(parsed.flags.get("usages") ?? "signing,authentication");
  const usageError = validateTokenUsages(usages);
  if (usageError) throw new UsageError(usageError);
  const groupsFlag = parsed.flags.get("groups");
  const groups = groupsFlag !== undefined
    ? splitList(groupsFlag)
    : usages.includes("authentication")
    ? [DEFAULT_TOKEN_GROUP]
    : [];
  for (const g of groups) {
    const groupError = validateBootstrapGroupName(g);
    if (groupError) throw new UsageError(groupError);
  }
  if (groups.length > 0 && !usages.includes("authentication")) {
    throw new UsageError(`--groups needs "authentication" in --usages`);
  }
  const description = parsed.flags.get("description");
  const tls = await session.tls();
  for (let attempt = 1;; attempt++) {
    const token = given ?? generateBootstrapToken();
    const secret = bootstrapTokenSecret({
      id: token.id,
      secret: token.secret,
      usages,
      groups,
      ...(description ? { description } : {}),
      ...(ttlMs > 0 ? { expirationMs: deps.clock.now() + ttlMs } : {}),
    });
    const res = await session.request("POST", SECRETS_PATH, secret);
    if (res.status === 409 && !given && attempt < 3) {
      await res.body?.cancel();
      continue; // another token has this id: draw again
    }
    if (res.status !== 201 && res.status !== 200) {
      throw new CommandError(await statusMessage(res));
    }
    await res.body?.cancel();
    print(deps.stdout, formatJoinToken(tls.caCertPem, `${token.id}.${token.secret}`));
    return;
  }
}

async function listTokens(parsed: ParsedArgs, session: Session, deps: TokenCommandDeps) {
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
  }
  const selector = encodeURIComponent(`type=${BOOTSTRAP_TOKEN_SECRET_TYPE}`);
  const res = await session.request("GET", `${SECRETS_PATH}?fieldSelector=${selector}`);
  if (res.status !== 200) throw new CommandError(await statusMessage(res));
  const list = await res.json() as { items?: KubeObject[] };
  const rows: string[][] = [["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"]];
  const now = deps.clock.now();
  for (const secret of list.items ?? []) {
    const name = secret.metadata?.name ?? "";
    const info = bootstrapTokenInfo(secret);
    if (info.id === "") {
      print(deps.stderr, `bootstrap token has no token-id data: ${name}`);
      continue;
    }
    if (name !== bootstrapTokenSecretName(info.id)) {
      print(
        deps.stderr,
        `bootstrap token name is not of the form 'bootstrap-token-(token-id)': ${name}`,
      );
      continue;
    }
    if (info.secret === "") {
      print(deps.stderr, `bootstrap token has no token-secret data: ${name}`);
      continue;
    }
    let ttl = "<forever>";
    let expires = "<never>";
    if (info.expiration !== "") {
      const ms = parseRfc3339(info.expiration);
      if (ms === null) {
        print(deps.stderr, `can't parse expiration time of bootstrap token ${name}`);
        continue;
      }
      ttl = shortHumanDuration(ms - now);
      expires = formatRfc3339(ms);
    }
    rows.push([
      `${info.id}.${info.secret}`,
      ttl,
      expires,
      info.usages.length > 0 ? info.usages.join(",") : "<none>",
      info.description || "<none>",
      info.groups || "<none>",
    ]);
  }
  writeTextSync(deps.stdout, formatTable(rows));
}

async function deleteTokens(
  parsed: ParsedArgs,
  session: Session,
  deps: TokenCommandDeps,
): Promise<number> {
  if (parsed.positionals.length === 0) {
    throw new UsageError("missing the id or token to delete");
  }
  const ids: string[] = [];
  for (const arg of parsed.positionals) {
    if (isBootstrapTokenId(arg)) {
      ids.push(arg);
      continue;
    }
    try {
      ids.push(parseJoinToken(arg).id);
    } catch {
      throw new UsageError(
        `given token or token id ${JSON.stringify(arg)} didn't match pattern ${
          JSON.stringify(BOOTSTRAP_TOKEN_ID_PATTERN)
        } or ${JSON.stringify(BOOTSTRAP_TOKEN_PATTERN)}`,
      );
    }
  }
  let failed = false;
  for (const id of ids) {
    const res = await session.request(
      "DELETE",
      `${SECRETS_PATH}/${bootstrapTokenSecretName(id)}`,
    );
    if (res.status === 200 || res.status === 202) {
      await res.body?.cancel();
      print(deps.stdout, `bootstrap token ${JSON.stringify(id)} deleted`);
    } else if (res.status === 404) {
      await res.body?.cancel();
      print(deps.stderr, `skiff token delete: bootstrap token ${JSON.stringify(id)} not found`);
      failed = true;
    } else {
      print(deps.stderr, `skiff token delete: ${await statusMessage(res)}`);
      failed = true;
    }
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

/**
 * Runs `skiff token` with `args` (the words after `token`) and returns the exit code.
 */
export async function runTokenCommand(
  args: readonly string[],
  deps: TokenCommandDeps,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    print(deps.stderr, usage());
    return EXIT_USAGE;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    print(deps.stdout, usage());
    return EXIT_OK;
  }
  if (!(command in VALUE_FLAGS)) {
    print(
      deps.stderr,
      `skiff token: unknown command ${
        JSON.stringify(command)
      }: expected one of create, list, delete`,
    );
    return EXIT_USAGE;
  }
  const prefix = `skiff token ${command}`;
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(command, rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    print(deps.stderr, `${prefix}: ${err.message}`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    print(deps.stdout, usage());
    return EXIT_OK;
  }
  using session = new Session(deps, parsed.flags);
  try {
    if (command === "create") await createToken(parsed, session, deps);
    else if (command === "list") await listTokens(parsed, session, deps);
    else return await deleteTokens(parsed, session, deps);
  } catch (err) {
    if (err instanceof UsageError) {
      print(deps.stderr, `${prefix}: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      const m = err.message;
      print(deps.stderr, `${prefix}: ${m[0]!.toLowerCase()}${m.slice(1)}`);
      return EXIT_USAGE;
    }
    if (err instanceof CommandError) {
      print(deps.stderr, `${prefix}: ${err.message}`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  return EXIT_OK;
}
