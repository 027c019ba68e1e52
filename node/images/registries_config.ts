/**
 * The node's registry configuration, in the `registries.yaml` format k3s users know
 * (`<data-dir>/agent/registries.yaml` for skiff): `mirrors` maps a registry (or `"*"`, every
 * registry) to mirror `endpoint`s, and `configs` gives a registry host its `auth` and `tls`.
 * {@linkcode writeRegistryHosts} turns it into what containerd 1.6 reads: one
 * `<certs.d>/<host>/hosts.toml` per configured registry (`_default/` for `"*"`), and the
 * credentials, which `hosts.toml` cannot hold, for `registry.configs."<host>".auth` in
 * containerd's own config (`renderContainerdConfig`'s `registryAuths`).
 *
 * As in k3s: an endpoint without a scheme is `https://`, except a loopback host on a port
 * other than 443 (`http://`); a path other than `/v2` is used as is (`override_path`); the
 * registry's own endpoint is always tried last and never listed as a mirror; `configs."*"`
 * applies to hosts without an entry of their own. containerd 1.6 cannot rewrite names, so
 * `rewrite` is accepted but reported as ignored, as is an auth `token`.
 *
 * @example Render a mirror for Docker Hub
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRegistriesConfig, renderRegistryHosts } from "./registries_config.ts";
 *
 * const config = parseRegistriesConfig(
 *   'mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n',
 *   { source: "registries.yaml" },
 * );
 * const { hosts } = renderRegistryHosts(config);
 * assert.ok(hosts.get("docker.io")?.includes('[host."http://127.0.0.1:5000"]'));
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { parse } from "yaml";
import { writeFileAtomic } from "../../control/util/atomic_file.ts";
import type { ContainerdRegistryAuth } from "../containerd/config.ts";

/** A registry's mirrors. */
export interface RegistryMirror {
  readonly endpoints: readonly string[];
  /** Name rewrites (regular expression → replacement); containerd 1.6 ignores them. */
  readonly rewrites: Readonly<Record<string, string>>;
}

/** A registry's TLS settings: files are absolute paths. */
export interface RegistryTlsConfig {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify?: boolean;
}

/** A registry host's credentials and TLS settings. */
export interface RegistryHostConfig {
  readonly auth?: ContainerdRegistryAuth;
  readonly tls?: RegistryTlsConfig;
}

/** A validated `registries.yaml`. */
export interface RegistriesConfig {
  /** Keyed by registry host (`docker.io`, `registry.lan:5000`) or `"*"`. */
  readonly mirrors: ReadonlyMap<string, RegistryMirror>;
  readonly configs: ReadonlyMap<string, RegistryHostConfig>;
  /** Settings containerd 1.6 cannot apply (accepted, ignored). */
  readonly warnings: readonly string[];
}

/** Options of {@linkcode parseRegistriesConfig}. */
export interface ParseRegistriesConfigOptions {
  /** The file's name in error messages. */
  readonly source: string;
}

/** What containerd reads: `hosts.toml` texts by host directory, and credentials by host. */
export interface RegistryHosts {
  /** Host directory name (`docker.io`, `mirror:5000`, `_default`) → `hosts.toml` text. */
  readonly hosts: ReadonlyMap<string, string>;
  /** Host as containerd dials it → credentials, for `registry.configs."<host>".auth`. */
  readonly auths: Readonly<Record<string, ContainerdRegistryAuth>>;
}

/** Options of {@linkcode writeRegistryHosts}: the config as text or as a file. */
export interface WriteRegistryHostsOptions {
  /** The `registries.yaml` text; or give {@linkcode registriesPath}. */
  readonly registriesYaml?: string;
  /** The `registries.yaml` file, read when {@linkcode registriesYaml} is not given. */
  readonly registriesPath?: string;
  /** containerd's `config_path` (`<data-dir>/agent/etc/containerd/certs.d`). */
  readonly certsDir: string;
}

/** What {@linkcode writeRegistryHosts} did. */
export interface WrittenRegistryHosts {
  /** Credentials to pass to the containerd config renderer (`registryAuths`). */
  readonly auths: Readonly<Record<string, ContainerdRegistryAuth>>;
  /** Host directories whose `hosts.toml` was (re)written. */
  readonly written: readonly string[];
  /** Host directories skiff had written and that are no longer configured. */
  readonly removed: readonly string[];
  /** Host directories left as they were (unchanged). */
  readonly unchanged: readonly string[];
  /** Settings containerd 1.6 cannot apply. */
  readonly warnings: readonly string[];
}

/** The first line of every `hosts.toml` skiff writes; only files with it are ever removed. */
export const HOSTS_TOML_HEADER =
  "# Written by skiff from registries.yaml; skiff rewrites or removes this file.";

const WILDCARD = "*";
const DEFAULT_DIR = "_default";
const DOCKER_HUB = "docker.io";
const DOCKER_HUB_HOST = "registry-1.docker.io";
const HOST_PATTERN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

type Yaml = unknown;

function isMap(value: Yaml): value is Record<string, Yaml> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: Yaml): string {
  return JSON.stringify(value) ?? String(value);
}

/** Reads and checks one document; all errors name the file, the key and the value. */
class ConfigReader {
  readonly #source: string;
  readonly warnings: string[] = [];

  constructor(source: string) {
    this.#source = source;
  }

  fail(key: string, value: Yaml, problem: string): never {
    throw new TypeError(
      `Cannot read registries config "${this.#source}": ${key} ${show(value)} ${problem}`,
    );
  }

  warn(key: string, problem: string): void {
    this.warnings.push(`${this.#source}: ${key} ${problem}`);
  }

  map(key: string, value: Yaml, allowed?: readonly string[]): Record<string, Yaml> {
    if (value === null || value === undefined) return {};
    if (!isMap(value)) this.fail(key, value, "must be a mapping");
    if (allowed) {
      for (const name of Object.keys(value)) {
        if (!allowed.includes(name)) {
          this.fail(`${key}.${name}`, value[name], `is not a known key (${allowed.join(", ")})`);
        }
      }
    }
    return value;
  }

  string(key: string, value: Yaml): string | undefined {
    if (value === null || value === undefined) return undefined;
    if (typeof value !== "string") this.fail(key, value, "must be a string");
    return value;
  }

  host(key: string, name: string): string {
    if (name !== WILDCARD && !HOST_PATTERN.test(name)) {
      this.fail(key, name, 'is not a registry host ("host", "host:port" or "*")');
    }
    return name;
  }

  path(key: string, value: Yaml): string | undefined {
    const path = this.string(key, value);
    if (path === undefined || path === "") return undefined;
    if (!path.startsWith("/")) this.fail(key, path, "must be an absolute path");
    return path;
  }
}

function readMirror(reader: ConfigReader, key: string, value: Yaml): RegistryMirror {
  const mirror = reader.map(key, value, ["endpoint", "rewrite"]);
  const endpoint = mirror.endpoint ?? [];
  if (!Array.isArray(endpoint)) reader.fail(`${key}.endpoint`, endpoint, "must be a list of URLs");
  const endpoints = endpoint.map((item, i) => {
    const url = reader.string(`${key}.endpoint[${i}]`, item);
    if (url === undefined || url === "") reader.fail(`${key}.endpoint[${i}]`, item, "is empty");
    if (parseEndpoint(url) === null) {
      reader.fail(`${key}.endpoint[${i}]`, url, "is not an http:// or https:// registry URL");
    }
    return url;
  });
  const rewrites: Record<string, string> = {};
  for (const [pattern, to] of Object.entries(reader.map(`${key}.rewrite`, mirror.rewrite))) {
    const replacement = reader.string(`${key}.rewrite.${pattern}`, to) ?? "";
    try {
      new RegExp(pattern);
    } catch {
      reader.fail(`${key}.rewrite`, pattern, "is not a regular expression");
    }
    rewrites[pattern] = replacement;
  }
  if (Object.keys(rewrites).length > 0) {
    reader.warn(`${key}.rewrite`, "is ignored: containerd 1.6 cannot rewrite image names");
  }
  return { endpoints, rewrites };
}

function readAuth(
  reader: ConfigReader,
  key: string,
  value: Yaml,
): ContainerdRegistryAuth | undefined {
  const auth = reader.map(key, value, ["username", "password", "auth", "identitytoken", "token"]);
  const username = reader.string(`${key}.username`, auth.username);
  const password = reader.string(`${key}.password`, auth.password);
  const encoded = reader.string(`${key}.auth`, auth.auth);
  const identitytoken = reader.string(`${key}.identitytoken`, auth.identitytoken);
  if (reader.string(`${key}.token`, auth.token) !== undefined) {
    reader.warn(`${key}.token`, "is ignored: containerd 1.6 takes no bearer token from its config");
  }
  if (password !== undefined && username === undefined) {
    reader.fail(`${key}.password`, "(hidden)", "needs a username");
  }
  if (encoded !== undefined) {
    let text: string;
    try {
      text = atob(encoded);
    } catch {
      reader.fail(`${key}.auth`, "(hidden)", 'is not base64 of "user:password"');
    }
    if (!text.includes(":")) {
      reader.fail(`${key}.auth`, "(hidden)", 'is not base64 of "user:password"');
    }
  }
  const out: ContainerdRegistryAuth = {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(encoded !== undefined ? { auth: encoded } : {}),
    ...(identitytoken !== undefined ? { identitytoken } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

function readTls(reader: ConfigReader, key: string, value: Yaml): RegistryTlsConfig | undefined {
  const tls = reader.map(key, value, ["ca_file", "cert_file", "key_file", "insecure_skip_verify"]);
  const caFile = reader.path(`${key}.ca_file`, tls.ca_file);
  const certFile = reader.path(`${key}.cert_file`, tls.cert_file);
  const keyFile = reader.path(`${key}.key_file`, tls.key_file);
  const skip = tls.insecure_skip_verify;
  if (skip !== undefined && skip !== null && typeof skip !== "boolean") {
    reader.fail(`${key}.insecure_skip_verify`, skip, "must be true or false");
  }
  if (keyFile !== undefined && certFile === undefined) {
    reader.fail(`${key}.key_file`, keyFile, "needs a cert_file");
  }
  const out: RegistryTlsConfig = {
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
    ...(typeof skip === "boolean" ? { insecureSkipVerify: skip } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Parses and checks a `registries.yaml` text (see the module doc). Throws `SyntaxError` for
 * bad YAML and `TypeError` for a bad key or value, naming the file, the key and the value
 * (never a secret's value).
 */
export function parseRegistriesConfig(
  text: string,
  options: ParseRegistriesConfigOptions,
): RegistriesConfig {
  let doc: Yaml;
  try {
    doc = parse(text);
  } catch (err) {
    throw new SyntaxError(
      `Cannot read registries config "${options.source}": ${
        err instanceof Error ? err.message.split("\n")[0] : String(err)
      }`,
      { cause: err },
    );
  }
  const reader = new ConfigReader(options.source);
  const top = reader.map("the document", doc, ["mirrors", "configs"]);
  const mirrors = new Map<string, RegistryMirror>();
  for (const [name, value] of Object.entries(reader.map("mirrors", top.mirrors))) {
    reader.host("mirrors", name);
    mirrors.set(name, readMirror(reader, `mirrors.${name}`, value));
  }
  const configs = new Map<string, RegistryHostConfig>();
  for (const [name, value] of Object.entries(reader.map("configs", top.configs))) {
    reader.host("configs", name);
    const key = `configs.${name}`;
    const entry = reader.map(key, value, ["auth", "tls"]);
    const auth = readAuth(reader, `${key}.auth`, entry.auth);
    const tls = readTls(reader, `${key}.tls`, entry.tls);
    configs.set(name, { ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) });
  }
  return { mirrors, configs, warnings: reader.warnings };
}

interface Endpoint {
  /** The host as containerd dials it (`registry-1.docker.io` for `docker.io`). */
  readonly host: string;
  /** The registry name configs are looked up by (`docker.io` for `registry-1.docker.io`). */
  readonly registry: string;
  readonly scheme: "http" | "https";
  /** `""` for the default `/v2`, else the path used as is. */
  readonly overridePath: string;
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:[0-9]+$/, "").replace(/^\[(.*)\]$/, "$1");
  return name === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(name) || name === "::1";
}

function portOf(host: string): string {
  return /:([0-9]+)$/.exec(host.replace(/^\[[^\]]*\]/, ""))?.[1] ?? "";
}

/** An endpoint URL (or a bare host) as containerd dials it; null when it is not one. */
function parseEndpoint(value: string): Endpoint | null {
  const match = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?\/\/([^/?#@]+)([^?#]*)$/.exec(
    value.includes("://") ? value : `//${value}`,
  );
  if (match === null) return null;
  const given = match[1]?.toLowerCase();
  if (given !== undefined && given !== "http" && given !== "https") return null;
  const registry = match[2]!.toLowerCase() === "index.docker.io" ? DOCKER_HUB : match[2]!;
  if (!HOST_PATTERN.test(registry)) return null;
  const port = portOf(registry);
  const scheme = given === "http" || given === "https"
    ? given
    : isLoopback(registry) && port !== "" && port !== "443"
    ? "http"
    : "https";
  const host = registry === DOCKER_HUB ? DOCKER_HUB_HOST : registry;
  const path = match[3] === undefined ? "" : match[3].replace(/\/+$/, "");
  return {
    host,
    registry: host === DOCKER_HUB_HOST ? DOCKER_HUB : registry,
    scheme,
    overridePath: path === "" || path === "/v2" ? "" : path,
  };
}

function endpointUrl(endpoint: Endpoint): string {
  return `${endpoint.scheme}://${endpoint.host}${endpoint.overridePath}`;
}

function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** `ca`, `client` and `skip_verify` lines for a host (or the server, at the top level). */
function tlsLines(tls: RegistryTlsConfig | undefined, indent: string): string[] {
  const lines: string[] = [];
  if (tls?.caFile !== undefined) lines.push(`${indent}ca = ${tomlString(tls.caFile)}`);
  if (tls?.certFile !== undefined) {
    lines.push(
      tls.keyFile !== undefined
        ? `${indent}client = [[${tomlString(tls.certFile)}, ${tomlString(tls.keyFile)}]]`
        : `${indent}client = ${tomlString(tls.certFile)}`,
    );
  }
  if (tls?.insecureSkipVerify === true) lines.push(`${indent}skip_verify = true`);
  return lines;
}

/**
 * Renders `config` into `hosts.toml` texts by host directory and the credentials by host
 * (see the module doc). Pure.
 */
export function renderRegistryHosts(config: RegistriesConfig): RegistryHosts {
  const configFor = (registry: string): RegistryHostConfig | undefined =>
    config.configs.get(registry) ??
      (registry === DOCKER_HUB ? config.configs.get(DOCKER_HUB_HOST) : undefined) ??
      config.configs.get(WILDCARD);
  const hosts = new Map<string, string>();
  const auths: Record<string, ContainerdRegistryAuth> = {};
  const addAuth = (host: string, auth: ContainerdRegistryAuth | undefined): void => {
    if (auth !== undefined && auths[host] === undefined) auths[host] = auth;
  };

  const names = new Set([...config.configs.keys(), ...config.mirrors.keys()]);
  for (const name of [...names].sort()) {
    const own = name === WILDCARD ? undefined : parseEndpoint(name)!;
    const serverConfig = name === WILDCARD
      ? config.configs.get(WILDCARD)
      : configFor(own!.registry);
    if (own !== undefined) {
      addAuth(own.host, serverConfig?.auth);
      if (own.host === DOCKER_HUB_HOST) addAuth(DOCKER_HUB, serverConfig?.auth);
    }
    const mirrorLines: string[] = [];
    const seen = new Set<string>(own ? [endpointUrl(own)] : []);
    for (const value of config.mirrors.get(name)?.endpoints ?? []) {
      const endpoint = parseEndpoint(value)!;
      const url = endpointUrl(endpoint);
      // The registry's own endpoint is always tried last, as `server`.
      if (seen.has(url)) continue;
      seen.add(url);
      const endpointConfig = configFor(endpoint.registry);
      addAuth(endpoint.host, endpointConfig?.auth);
      mirrorLines.push(
        "",
        `[host.${tomlString(url)}]`,
        `  capabilities = ["pull", "resolve"]`,
        ...(endpoint.overridePath !== "" ? ["  override_path = true"] : []),
        ...tlsLines(endpointConfig?.tls, "  "),
      );
    }
    const serverTls = tlsLines(serverConfig?.tls, "");
    if (mirrorLines.length === 0 && serverTls.length === 0) continue;
    hosts.set(
      name === WILDCARD ? DEFAULT_DIR : name,
      [
        HOSTS_TOML_HEADER,
        // Without `server`, containerd dials the pulled image's own registry (for `_default`).
        ...(own !== undefined ? [`server = ${tomlString(endpointUrl(own))}`] : []),
        ...serverTls,
        ...mirrorLines,
      ].join("\n") + "\n",
    );
  }
  return { hosts, auths };
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw err;
  }
}

async function listDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isDirectory) out.push(entry.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    throw err;
  }
  return out.sort();
}

/**
 * Writes the `hosts.toml` files of a `registries.yaml` under `options.certsDir` (each
 * atomically, and only when its text changed), removes the ones skiff wrote for hosts no
 * longer configured (a host directory goes only when it is then empty; files skiff did not
 * write are never touched), and returns the credentials for containerd's config.
 */
export async function writeRegistryHosts(
  options: WriteRegistryHostsOptions,
): Promise<WrittenRegistryHosts> {
  let text = options.registriesYaml;
  const source = options.registriesPath ?? "registries.yaml";
  if (text === undefined) {
    if (options.registriesPath === undefined) {
      throw new TypeError("Cannot write registry hosts: give registriesYaml or registriesPath");
    }
    try {
      text = await Deno.readTextFile(options.registriesPath);
    } catch (err) {
      throw new Error(`Cannot read registries config "${options.registriesPath}"`, { cause: err });
    }
  }
  const config = parseRegistriesConfig(text, { source });
  const { hosts, auths } = renderRegistryHosts(config);
  const written: string[] = [];
  const unchanged: string[] = [];
  const removed: string[] = [];
  await Deno.mkdir(options.certsDir, { recursive: true, mode: 0o700 });
  for (const [dir, toml] of hosts) {
    const hostDir = join(options.certsDir, dir);
    const file = join(hostDir, "hosts.toml");
    if (await readIfPresent(file) === toml) {
      unchanged.push(dir);
      continue;
    }
    await Deno.mkdir(hostDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, { data: toml, mode: 0o644 });
    written.push(dir);
  }
  for (const dir of await listDirs(options.certsDir)) {
    if (hosts.has(dir)) continue;
    const hostDir = join(options.certsDir, dir);
    const file = join(hostDir, "hosts.toml");
    const current = await readIfPresent(file);
    if (current === null || !current.startsWith(`${HOSTS_TOML_HEADER}\n`)) continue;
    await Deno.remove(file);
    await Deno.remove(hostDir).catch((err) => {
      // Other files (a CA someone keeps there) stay, and so does their directory.
      if (!(err instanceof Deno.errors.NotFound) && !isNotEmpty(err)) throw err;
    });
    removed.push(dir);
  }
  return { auths, written, removed, unchanged, warnings: config.warnings };
}

function isNotEmpty(err: unknown): boolean {
  return err instanceof Error && /not empty|ENOTEMPTY/i.test(`${err.message} ${String(err)}`);
}
