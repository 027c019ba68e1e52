/**
 * The `skiff server` configuration: the one place flags, `SKIFF_*` environment variables and the
 * YAML config file are read, merged and validated.
 *
 * Precedence, as k3s: flags > environment > config file (`--config FILE`) > defaults. Every key is
 * spelt the same everywhere: `--https-port 8443`, `SKIFF_HTTPS_PORT=8443`, `https-port: 8443`.
 * Every value given is validated, even one a higher-precedence source overrides. An empty
 * environment variable counts as unset.
 *
 * Rules beyond each value's own type:
 * - `--storage etcd` needs `--etcd-endpoints`; `--etcd-endpoints` with `--storage kv` is refused
 *   rather than ignored, so nobody believes they run on etcd when they do not.
 * - `--cluster-dns` must lie inside `--service-cidr`; when unset it is the 10th address of the
 *   service range (10.43.0.10 by default), as k3s derives it.
 * - `--cluster-cidr` and `--service-cidr` must not overlap.
 * - `--disable` takes a comma-separated list and may be repeated, as `--tls-san`: `dns` (or
 *   k3s's name `coredns`) and, for `skiff server`, `servicelb`; anything else is refused.
 * - `skiff agent` takes `--service-cidr` too (k3s agents learn it from the server; skiff's
 *   cannot yet): its `--cluster-dns` defaults to `null`, which means "the server's", see
 *   {@linkcode AgentConfig.clusterDns}.
 * - `--node-name` defaults to the hostname, lowercased; either way it must be a DNS-1123
 *   subdomain.
 * - `--tls-san` takes a comma-separated list and may be repeated (the lists add up); the
 *   environment variable takes a comma-separated list, the config file a list or such a string.
 *   Each entry is an IP address or a DNS name (lowercased; `*.` allowed as its first label).
 * - The config file may not name another config file (`config:` is refused inside it), and an
 *   unknown key in it is an error.
 *
 * @module
 */
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { LOG_LEVELS, type LogLevel } from "./util/logger.ts";
import type { FlannelBackend } from "../node/agent/agent.ts";

/** The storage backends `--storage` accepts. */
export const STORAGE_BACKENDS = ["kv", "etcd"] as const;

/** One of {@linkcode STORAGE_BACKENDS}. */
export type StorageBackend = typeof STORAGE_BACKENDS[number];

/**
 * The values of `--flannel-backend`: node/agent/agent.ts's `FLANNEL_BACKENDS` (config_test.ts
 * checks they match), written out so that reading flags does not load the agent's modules.
 */
export const FLANNEL_BACKEND_VALUES = [
  "vxlan",
  "host-gw",
  "none",
] as const satisfies readonly FlannelBackend[];

/** The components `--disable` turns off (k3s's `coredns` is accepted for `dns`). */
export const DISABLE_COMPONENTS = ["dns", "servicelb"] as const;

/** One of {@linkcode DISABLE_COMPONENTS}. */
export type DisableComponent = typeof DISABLE_COMPONENTS[number];

/** The validated, frozen configuration `skiff server` runs with. */
export interface ServerConfig {
  /** Absolute path of the directory skiff keeps its state in (`--data-dir`). */
  readonly dataDir: string;
  /** The port the API server will listen on (`--https-port`). */
  readonly httpsPort: number;
  /** The storage backend (`--storage`). */
  readonly storage: StorageBackend;
  /** Normalised etcd URLs such as `http://127.0.0.1:2379`; empty unless storage is etcd. */
  readonly etcdEndpoints: readonly string[];
  /** Run only the control plane, without the node agent (`--disable-agent`). */
  readonly disableAgent: boolean;
  /** Run no scheduler in this server, e.g. to use another one (`--disable-scheduler`). */
  readonly disableScheduler: boolean;
  /** Run no controllers in this server (`--disable-controller-manager`, as k3s names it). */
  readonly disableControllerManager: boolean;
  /** This node's name (`--node-name`). */
  readonly nodeName: string;
  /** The pod network, IPv4 CIDR (`--cluster-cidr`). */
  readonly clusterCidr: string;
  /** The Service ClusterIP range, IPv4 CIDR (`--service-cidr`). */
  readonly serviceCidr: string;
  /** The cluster DNS Service address, inside {@linkcode ServerConfig.serviceCidr}. */
  readonly clusterDns: string;
  /** The cluster DNS domain (`--cluster-domain`). */
  readonly clusterDomain: string;
  /** How pod traffic reaches other nodes' pods (`--flannel-backend`). */
  readonly flannelBackend: FlannelBackend;
  /** Run no Service proxy on this server's node (`--disable-kube-proxy`). */
  readonly disableKubeProxy: boolean;
  /** Enforce no NetworkPolicy on this server's node (`--disable-network-policy`). */
  readonly disableNetworkPolicy: boolean;
  /**
   * `--disable dns`: no node-local cluster DNS on this server's node and no
   * `kube-system/kube-dns` Service.
   */
  readonly disableDns: boolean;
  /** `--disable servicelb`: no ServiceLB controller (LoadBalancer Services stay pending). */
  readonly disableServiceLb: boolean;
  /** The absolute path of the config file read, or `null` when none was given. */
  readonly configFile: string | null;
  /** The least severe level logged (`--log-level`). */
  readonly logLevel: LogLevel;
  /**
   * More names for the serving certificate (`--tls-san`): IP addresses as given, DNS names
   * lowercased, without duplicates.
   */
  readonly tlsSans: readonly string[];
  /** The URL {@linkcode ServerConfig.storage} opens: `kv:///<data-dir>/db/state.kv` or `etcd://…`. */
  readonly storageUrl: string;
  /** An existing CRI runtime for the agent (`--container-runtime-endpoint`); `null`: skiff's. */
  readonly containerRuntimeEndpoint: string | null;
  /** The node's advertised addresses (`--node-ip`); empty: the default route's. */
  readonly nodeIPs: readonly string[];
  /** The agent's kubelet API port (`--kubelet-port`). */
  readonly kubeletPort: number;
}

/** The validated, frozen configuration `skiff agent` runs with. */
export interface AgentConfig {
  readonly dataDir: string;
  /** The server to join (`--server`), without a trailing slash. */
  readonly server: string;
  /** The join token (`--token`); `null` when the node already holds its credential. */
  readonly token: string | null;
  readonly nodeName: string;
  readonly nodeIPs: readonly string[];
  readonly containerRuntimeEndpoint: string | null;
  readonly kubeletPort: number;
  /** The cluster's pod network, as the server's `--cluster-cidr`. */
  readonly clusterCidr: string;
  /** The Service ClusterIP range, as the server's `--service-cidr`. */
  readonly serviceCidr: string;
  /**
   * `--cluster-dns`, or `null` when not set: then the agent takes the clusterIP of the server's
   * `kube-system/kube-dns` Service, or (when it cannot read one) the 10th address of
   * {@linkcode AgentConfig.serviceCidr}, as the server derives its own.
   */
  readonly clusterDns: string | null;
  readonly clusterDomain: string;
  readonly flannelBackend: FlannelBackend;
  readonly disableKubeProxy: boolean;
  readonly disableNetworkPolicy: boolean;
  /** `--disable dns`: no node-local cluster DNS on this node. */
  readonly disableDns: boolean;
  readonly configFile: string | null;
  readonly logLevel: LogLevel;
}

/** What {@linkcode loadServerConfig} reads from the outside world; inject fakes in tests. */
export interface ConfigDeps {
  /** The environment variables (only `SKIFF_*` and `HOME` are read). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The machine's hostname, the default node name. */
  hostname(): string;
  /** The effective user id, or `null` where there is none; root gets `/var/lib/skiff`. */
  uid(): number | null;
  /** The working directory relative paths are resolved against. */
  cwd(): string;
  /** Reads the config file. */
  readTextFile(path: string): Promise<string>;
}

/** A flag, environment variable or config file value that skiff refuses. */
export class ConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}

/** The configuration keys: flag names without `--`, and the config file's keys. */
export const CONFIG_KEYS = [
  "config",
  "data-dir",
  "https-port",
  "storage",
  "etcd-endpoints",
  "disable-agent",
  "disable-scheduler",
  "disable-controller-manager",
  "node-name",
  "cluster-cidr",
  "service-cidr",
  "cluster-dns",
  "cluster-domain",
  "flannel-backend",
  "disable-kube-proxy",
  "disable-network-policy",
  "disable",
  "log-level",
  "tls-san",
  "container-runtime-endpoint",
  "node-ip",
  "kubelet-port",
] as const;

/** The keys of `skiff agent`: flag names without `--`, and its config file's keys. */
export const AGENT_CONFIG_KEYS = [
  "config",
  "data-dir",
  "server",
  "token",
  "node-name",
  "node-ip",
  "container-runtime-endpoint",
  "kubelet-port",
  "cluster-cidr",
  "service-cidr",
  "cluster-dns",
  "cluster-domain",
  "flannel-backend",
  "disable-kube-proxy",
  "disable-network-policy",
  "disable",
  "log-level",
] as const;

/** A key of {@linkcode CONFIG_KEYS} or {@linkcode AGENT_CONFIG_KEYS}. */
export type ConfigKey = typeof CONFIG_KEYS[number] | typeof AGENT_CONFIG_KEYS[number];

/** The keys one command reads. */
type KeySet = readonly ConfigKey[];

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS_SUBDOMAIN_RE = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);
const DNS_SUBDOMAIN_EXPECTED =
  "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a " +
  "letter or digit, at most 253 characters)";
const DEFAULT_ETCD_PORT = "2379";

/** Parses a dotted-quad IPv4 address into an unsigned 32-bit number, or `null`. */
function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
  readonly size: number;
}

function parseCidr(text: string): Ipv4Cidr | null {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!match) return null;
  const address = parseIpv4(match[1] ?? "");
  const prefix = Number(match[2]);
  if (address === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return null;
  return { network: address, prefix, size };
}

function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address < cidr.network + cidr.size;
}

function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

function cidrSchema(minPrefix: number, maxPrefix: number) {
  return z.string().refine((text) => {
    const cidr = parseCidr(text);
    return cidr !== null && cidr.prefix >= minPrefix && cidr.prefix <= maxPrefix;
  });
}

function normaliseEtcdEndpoint(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.hostname === "" || url.username !== "" || url.password !== "") return null;
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    return null;
  }
  return `${url.protocol}//${url.host}${url.port === "" ? `:${DEFAULT_ETCD_PORT}` : ""}`;
}

const nonEmptyString = z.string().min(1);
/** A TCP port, from YAML (a number) or a flag or variable (digits). */
const portSchema = z.union([z.number(), z.string().regex(/^[0-9]{1,5}$/).transform(Number)])
  .pipe(z.int().min(1).max(65535));

/**
 * A repeatable, comma-separated list (a flag given several times, or a YAML list), each item
 * normalised by `normalise` (null: refused as a bad `noun`), without duplicates.
 */
function commaListSchema(noun: string, normalise: (item: string) => string | null) {
  return z.union([z.string().transform((s) => [s]), z.array(z.string())])
    .transform((list, ctx) => {
      const out: string[] = [];
      for (const item of list.flatMap((s) => s.split(","))) {
        const value = normalise(item);
        if (value === null) {
          ctx.addIssue({ code: "custom", message: `bad ${noun} ${JSON.stringify(item)}` });
          return z.NEVER;
        }
        if (!out.includes(value)) out.push(value);
      }
      return out;
    });
}
const booleanSchema = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0"]).transform((s) => s === "true" || s === "1"),
]);

interface KeySpec<T> {
  /** How `parseArgs` reads the flag. */
  readonly type: "string" | "boolean";
  /** The flag may be repeated, its values collected in a list. */
  readonly multiple?: boolean;
  readonly schema: z.ZodType<T>;
  /** What a valid value looks like, completing "expected …" and "must be …". */
  readonly expected: string;
  /** The placeholder in help output, e.g. `PORT`. */
  readonly metavar: string;
  readonly help: string;
  readonly defaultHelp?: string;
}

function spec<T>(s: KeySpec<T>): KeySpec<T> {
  return s;
}

const WILDCARD_DNS_RE = new RegExp(`^(\\*\\.)?${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/** A `--node-ip` entry: an IP address as given (no zone), or `null`. */
function normaliseIp(text: string): string | null {
  const ip = text.trim();
  return !ip.includes("%") && isIP(ip) !== 0 ? ip : null;
}

/** A `--tls-san` entry normalised: an IP address as given, a DNS name lowercased; or `null`. */
function normaliseSan(text: string): string | null {
  const item = text.trim();
  if (!item.includes("%") && isIP(item) !== 0) return item;
  const name = item.toLowerCase();
  return name.length <= 253 && WILDCARD_DNS_RE.test(name) ? name : null;
}

/**
 * A `--disable` entry as the component it names (`coredns` is k3s's name for `dns`), or `null`
 * when it is none of `components`.
 */
function disableNormaliser(components: readonly DisableComponent[]) {
  return (text: string): string | null => {
    const item = text.trim();
    const name = item === "coredns" ? "dns" : item;
    return (components as readonly string[]).includes(name) ? name : null;
  };
}

function disableSpec(components: readonly DisableComponent[], help: string) {
  const names = components.map((c) => c === "dns" ? "dns (or coredns)" : c).join(", ");
  return spec({
    type: "string",
    multiple: true,
    schema: commaListSchema("component", disableNormaliser(components)),
    expected: `a comma-separated list of components to disable: ${names}`,
    metavar: "COMPONENT,…",
    help,
  });
}

const SPECS = {
  "config": spec({
    type: "string",
    schema: nonEmptyString,
    expected: "a path to a YAML file",
    metavar: "FILE",
    help: "read settings from this YAML file (keys as the flags)",
  }),
  "data-dir": spec({
    type: "string",
    schema: nonEmptyString,
    expected: "a non-empty path",
    metavar: "DIR",
    help: "directory for skiff's state",
    defaultHelp: "/var/lib/skiff as root, ~/.skiff otherwise",
  }),
  "https-port": spec({
    type: "string",
    schema: portSchema,
    expected: "an integer from 1 to 65535",
    metavar: "PORT",
    help: "port of the API server",
    defaultHelp: "6443",
  }),
  "storage": spec({
    type: "string",
    schema: z.enum(STORAGE_BACKENDS),
    expected: `one of ${STORAGE_BACKENDS.join(", ")}`,
    metavar: STORAGE_BACKENDS.join("|"),
    help: "storage backend: an embedded Deno KV file under the data dir, or etcd",
    defaultHelp: "kv",
  }),
  "etcd-endpoints": spec({
    type: "string",
    schema: z.union([z.string().transform((s) => s.split(",")), z.array(z.string())])
      .transform((list, ctx) => {
        const out: string[] = [];
        for (const item of list) {
          const endpoint = normaliseEtcdEndpoint(item);
          if (endpoint === null) {
            ctx.addIssue({ code: "custom", message: `bad endpoint ${JSON.stringify(item)}` });
            return z.NEVER;
          }
          if (!out.includes(endpoint)) out.push(endpoint);
        }
        return out;
      })
      .pipe(z.array(z.string()).min(1)),
    expected: "a comma-separated list of http:// or https:// URLs such as http://127.0.0.1:2379",
    metavar: "URL,…",
    help: "etcd URLs, required with --storage etcd",
  }),
  "disable-agent": spec({
    type: "boolean",
    schema: booleanSchema,
    expected: "true or false",
    metavar: "",
    help: "run only the control plane, without the node agent",
  }),
  "disable-scheduler": spec({
    type: "boolean",
    schema: booleanSchema,
    expected: "true or false",
    metavar: "",
    help: "run no scheduler in this server (pods then wait for another scheduler)",
  }),
  "disable-controller-manager": spec({
    type: "boolean",
    schema: booleanSchema,
    expected: "true or false",
    metavar: "",
    help: "run no controllers in this server (ReplicaSets, namespaces, endpoints… then wait)",
  }),
  "node-name": spec({
    type: "string",
    schema: z.string().max(253).regex(DNS_SUBDOMAIN_RE),
    expected: DNS_SUBDOMAIN_EXPECTED,
    metavar: "NAME",
    help: "this node's name",
    defaultHelp: "the hostname, lowercased",
  }),
  "cluster-cidr": spec({
    type: "string",
    schema: cidrSchema(8, 24),
    expected:
      "an IPv4 CIDR with no host bits set and a prefix from /8 to /24, such as 10.42.0.0/16",
    metavar: "CIDR",
    help: "pod network",
    defaultHelp: "10.42.0.0/16",
  }),
  "service-cidr": spec({
    type: "string",
    schema: cidrSchema(12, 28),
    expected:
      "an IPv4 CIDR with no host bits set and a prefix from /12 to /28, such as 10.43.0.0/16",
    metavar: "CIDR",
    help: "Service ClusterIP range",
    defaultHelp: "10.43.0.0/16",
  }),
  "cluster-dns": spec({
    type: "string",
    schema: z.string().refine((s) => parseIpv4(s) !== null),
    expected: "an IPv4 address such as 10.43.0.10",
    metavar: "IP",
    help: "cluster DNS Service address, inside the service CIDR",
    defaultHelp: "the 10th address of --service-cidr, 10.43.0.10",
  }),
  "cluster-domain": spec({
    type: "string",
    schema: z.string().max(253).regex(DNS_SUBDOMAIN_RE),
    expected: DNS_SUBDOMAIN_EXPECTED,
    metavar: "DOMAIN",
    help: "cluster DNS domain",
    defaultHelp: "cluster.local",
  }),
  "flannel-backend": spec({
    type: "string",
    schema: z.enum(FLANNEL_BACKEND_VALUES),
    expected: `one of ${FLANNEL_BACKEND_VALUES.join(", ")}`,
    metavar: FLANNEL_BACKEND_VALUES.join("|"),
    help: "how pods reach other nodes' pods: a VXLAN overlay, direct routes between nodes on " +
      "one link, or nothing (another network plugin's job)",
    defaultHelp: "vxlan",
  }),
  "disable-kube-proxy": spec({
    type: "boolean",
    schema: booleanSchema,
    expected: "true or false",
    metavar: "",
    help: "run no Service proxy on the node (ClusterIPs, NodePorts and load balancers then " +
      "need another one)",
  }),
  "disable-network-policy": spec({
    type: "boolean",
    schema: booleanSchema,
    expected: "true or false",
    metavar: "",
    help: "enforce no NetworkPolicy on the node",
  }),
  "disable": disableSpec(
    ["dns", "servicelb"],
    "components not to run (repeatable): dns (the node-local cluster DNS and the " +
      "kube-system/kube-dns Service), servicelb (addresses for LoadBalancer Services)",
  ),
  "log-level": spec({
    type: "string",
    schema: z.enum(LOG_LEVELS),
    expected: `one of ${LOG_LEVELS.join(", ")}`,
    metavar: "LEVEL",
    help: `least severe level logged: ${LOG_LEVELS.join(", ")}`,
    defaultHelp: "info",
  }),
  "tls-san": spec({
    type: "string",
    multiple: true,
    schema: commaListSchema("name", normaliseSan),
    expected: "a comma-separated list of DNS names and IP addresses such as " +
      "edge.example.com,192.168.1.10",
    metavar: "NAME,…",
    help: "more DNS names or IP addresses for the serving certificate (repeatable)",
  }),
  "container-runtime-endpoint": spec({
    type: "string",
    schema: z.string().regex(/^(unix:\/\/)?\/\S+$/),
    expected:
      "a unix socket as unix:///path or /path, such as unix:///run/containerd/containerd.sock",
    metavar: "ENDPOINT",
    help: "use this CRI runtime instead of starting containerd",
    defaultHelp: "skiff starts and supervises its own containerd",
  }),
  "node-ip": spec({
    type: "string",
    multiple: true,
    schema: commaListSchema("address", normaliseIp).pipe(z.array(z.string()).min(1).max(2)),
    expected: "one IP address, or an IPv4 and an IPv6 one separated by a comma",
    metavar: "IP",
    help: "the node's address to advertise",
    defaultHelp: "the address of the default route's interface",
  }),
  "kubelet-port": spec({
    type: "string",
    schema: portSchema,
    expected: "an integer from 1 to 65535",
    metavar: "PORT",
    help: "port of the node's kubelet API (logs, exec, port-forward)",
    defaultHelp: "10250",
  }),
  "server": spec({
    type: "string",
    schema: z.string().regex(/^https:\/\/[^/\s]+\/?$/).transform((s) => s.replace(/\/$/, "")),
    expected: "an https:// URL of a skiff server such as https://10.0.0.1:6443",
    metavar: "URL",
    help: "the server to join",
  }),
  "token": spec({
    type: "string",
    schema: nonEmptyString,
    expected: "a join token printed by skiff token create",
    metavar: "TOKEN",
    help: "the join token (used once: the node then keeps its own credential)",
  }),
} as const satisfies Record<ConfigKey, KeySpec<unknown>>;

type Values = { [K in ConfigKey]: z.output<typeof SPECS[K]["schema"]> };

/** The flags one command takes, how each is read, and the command's name for messages. */
interface Command {
  readonly keys: KeySet;
  readonly command: string;
  readonly specs: { readonly [K in ConfigKey]: KeySpec<Values[K]> };
}

const SERVER_COMMAND: Command = { keys: CONFIG_KEYS, command: "server", specs: SPECS };

/** The agent's flags: as the server's, but `--disable` knows no servicelb there. */
const AGENT_COMMAND: Command = {
  keys: AGENT_CONFIG_KEYS,
  command: "agent",
  specs: {
    ...SPECS,
    "cluster-dns": {
      ...SPECS["cluster-dns"],
      defaultHelp: "the server's (the clusterIP of its kube-system/kube-dns Service), else " +
        "the 10th address of --service-cidr",
    },
    "disable": disableSpec(
      ["dns"],
      "components not to run on this node (repeatable): dns (the node-local cluster DNS)",
    ),
  },
};

type Source =
  | { readonly kind: "flag" }
  | { readonly kind: "env" }
  | { readonly kind: "file"; readonly path: string };

interface Setting<T> {
  readonly value: T;
  readonly raw: unknown;
  readonly source: Source;
}

type Settings = { -readonly [K in ConfigKey]?: Setting<Values[K]> };

/** The environment variable that sets `key`: `https-port` → `SKIFF_HTTPS_PORT`. */
export function envName(key: ConfigKey): string {
  return `SKIFF_${key.toUpperCase().replaceAll("-", "_")}`;
}

function quote(raw: unknown): string {
  return JSON.stringify(typeof raw === "string" ? raw : String(raw));
}

function describe(key: ConfigKey, source: Source): string {
  switch (source.kind) {
    case "flag":
      return `--${key}`;
    case "env":
      return envName(key);
    case "file":
      return `key ${quote(key)} in config file ${quote(source.path)}`;
  }
}

function invalid(
  key: ConfigKey,
  setting: Pick<Setting<unknown>, "raw" | "source">,
  expected: string,
): ConfigError {
  const { source, raw } = setting;
  if (source.kind === "file") {
    return new ConfigError(
      `Cannot parse config file ${quote(source.path)}: key ${quote(key)} must be ${expected}`,
    );
  }
  return new ConfigError(`Invalid ${describe(key, source)} ${quote(raw)}: expected ${expected}`);
}

function parseSetting<K extends ConfigKey>(
  key: K,
  input: { raw: unknown; source: Source; command: Command },
): Setting<Values[K]> {
  const { raw, source } = input;
  const s: KeySpec<Values[K]> = input.command.specs[key];
  const result = s.schema.safeParse(raw);
  if (!result.success) throw invalid(key, { raw, source }, s.expected);
  return { value: result.data, raw, source };
}

function setSetting<K extends ConfigKey>(
  settings: Settings,
  key: K,
  input: { raw: unknown; source: Source; command: Command },
) {
  (settings as Record<K, Setting<Values[K]>>)[key] = parseSetting(key, input);
}

function flagList(keys: KeySet): string {
  return keys.map((k) => `--${k}`).join(", ");
}

function parseFlags(args: readonly string[], command: Command): Settings {
  const { keys } = command;
  const options = Object.fromEntries(
    keys.map((key) => {
      const s: KeySpec<unknown> = command.specs[key];
      return [key, s.multiple ? { type: s.type, multiple: true } : { type: s.type }];
    }),
  ) as Record<ConfigKey, { type: "string" | "boolean"; multiple?: boolean }>;
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw flagError(err, command);
  }
  const settings: Settings = {};
  for (const key of keys) {
    const raw = values[key];
    if (raw !== undefined) setSetting(settings, key, { raw, source: { kind: "flag" }, command });
  }
  return settings;
}

function flagError(err: unknown, command: Command): ConfigError {
  const { keys, specs } = command;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const name = /'(-[^' =<]*)/.exec(message)?.[1] ?? "";
  const key = keys.find((k) => `--${k}` === name);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new ConfigError(`Unknown flag ${quote(name)}: expected one of ${flagList(keys)}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && key !== undefined) {
    if (specs[key].type === "boolean") {
      return new ConfigError(`Invalid ${name}: it takes no value`);
    }
    const hint = message.includes("ambiguous")
      ? ` (write ${name}=VALUE for a value that starts with "-")`
      : "";
    return new ConfigError(`Missing value for ${name}: expected ${specs[key].expected}${hint}`);
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = /'([^']*)'/.exec(message)?.[1] ?? "";
    return new ConfigError(
      `Unexpected argument ${quote(arg)}: skiff ${command.command} takes only flags`,
    );
  }
  return new ConfigError(`Cannot parse flags: ${message}`, { cause: err });
}

function parseEnv(env: ConfigDeps["env"], command: Command): Settings {
  const settings: Settings = {};
  for (const key of command.keys) {
    const raw = env[envName(key)];
    if (raw !== undefined && raw !== "") {
      setSetting(settings, key, { raw, source: { kind: "env" }, command });
    }
  }
  return settings;
}

async function parseFile(
  path: string,
  deps: ConfigDeps,
  command: Command,
): Promise<Settings> {
  const { keys } = command;
  let text: string;
  try {
    text = await deps.readTextFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`Cannot read config file ${quote(path)}: ${reason}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new ConfigError(`Cannot parse config file ${quote(path)}: ${reason}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(
      `Cannot parse config file ${quote(path)}: expected a mapping of keys to values`,
    );
  }
  const settings: Settings = {};
  const source: Source = { kind: "file", path };
  for (const [key, raw] of Object.entries(doc)) {
    if (key === "config") {
      throw new ConfigError(
        `Cannot parse config file ${quote(path)}: key "config" cannot be set in a config file`,
      );
    }
    if (!(keys as readonly string[]).includes(key)) {
      const expected = keys.filter((k) => k !== "config").join(", ");
      throw new ConfigError(
        `Cannot parse config file ${quote(path)}: unknown key ${
          quote(key)
        }, expected one of ${expected}`,
      );
    }
    setSetting(settings, key as ConfigKey, { raw, source, command });
  }
  return settings;
}

function expandPath(path: string, deps: ConfigDeps): string {
  const home = deps.env.HOME;
  if ((path === "~" || path.startsWith("~/")) && home) return join(home, path.slice(1));
  return isAbsolute(path) ? resolve(path) : resolve(deps.cwd(), path);
}

function defaultDataDir(deps: ConfigDeps): string {
  if (deps.uid() === 0) return "/var/lib/skiff";
  const home = deps.env.HOME;
  if (!home) {
    throw new ConfigError(
      "Cannot choose a data directory: HOME is not set and skiff is not running as root; " +
        "set --data-dir",
    );
  }
  return join(resolve(home), ".skiff");
}

function defaultNodeName(deps: ConfigDeps): string {
  const hostname = deps.hostname();
  const name = hostname.toLowerCase();
  if (name.length > 253 || !DNS_SUBDOMAIN_RE.test(name)) {
    throw new ConfigError(
      `Invalid node name ${quote(name)} taken from the hostname: expected ` +
        `${DNS_SUBDOMAIN_EXPECTED}; set --node-name`,
    );
  }
  return name;
}

function storageUrlOf(storage: StorageBackend, dataDir: string, endpoints: readonly string[]) {
  if (storage === "kv") return `kv://${join(dataDir, "db", "state.kv")}`;
  return `etcd://${endpoints.map((e) => e.replace(/^http:\/\//, "")).join(",")}`;
}

function storageOrigin(setting: Setting<unknown> | undefined): string {
  return setting === undefined ? "the default" : `from ${describe("storage", setting.source)}`;
}

/**
 * The pod and Service ranges and the cluster DNS address (`null` when not set), checked
 * together: the ranges must not overlap and the DNS address must lie inside the Service range.
 */
function networkSettings(merged: Settings): {
  clusterCidr: string;
  serviceCidr: string;
  clusterDns: string | null;
  /** The 10th address of the Service range, as k3s derives the cluster DNS address. */
  defaultClusterDns: string;
} {
  const clusterCidr = merged["cluster-cidr"]?.value ?? "10.42.0.0/16";
  const serviceCidr = merged["service-cidr"]?.value ?? "10.43.0.0/16";
  const clusterRange = parseCidr(clusterCidr) as Ipv4Cidr;
  const serviceRange = parseCidr(serviceCidr) as Ipv4Cidr;
  if (cidrsOverlap(clusterRange, serviceRange)) {
    const blamed = merged["service-cidr"] ?? merged["cluster-cidr"];
    const key = merged["service-cidr"] ? "service-cidr" : "cluster-cidr";
    const other = key === "service-cidr"
      ? `cluster-cidr ${clusterCidr}`
      : `service-cidr ${serviceCidr}`;
    throw invalid(key, blamed as Setting<unknown>, `a range that does not overlap ${other}`);
  }
  const defaultClusterDns = defaultClusterDnsOf(serviceCidr);
  const dnsSetting = merged["cluster-dns"];
  if (dnsSetting === undefined) {
    return { clusterCidr, serviceCidr, clusterDns: null, defaultClusterDns };
  }
  const address = parseIpv4(dnsSetting.value) as number;
  const last = serviceRange.network + serviceRange.size - 1;
  if (
    !cidrContains(serviceRange, address) || address === serviceRange.network || address === last
  ) {
    throw invalid(
      "cluster-dns",
      dnsSetting,
      `an IPv4 address inside service-cidr ${serviceCidr}, other than its first and last`,
    );
  }
  return { clusterCidr, serviceCidr, clusterDns: dnsSetting.value, defaultClusterDns };
}

/** The cluster DNS address k3s derives from a Service range: its 10th address. */
export function defaultClusterDnsOf(serviceCidr: string): string {
  const range = parseCidr(serviceCidr);
  if (range === null) throw new RangeError(`Invalid Service CIDR "${serviceCidr}": not IPv4`);
  return formatIpv4(range.network + 10);
}

/** Flags over the environment over the config file, for the keys of one command. */
async function readSettings(
  args: readonly string[],
  deps: ConfigDeps,
  command: Command,
): Promise<{ merged: Settings; configFile: string | null }> {
  const flags = parseFlags(args, command);
  const env = parseEnv(deps.env, command);
  const configSetting = flags.config ?? env.config;
  const configFile = configSetting ? expandPath(configSetting.value, deps) : null;
  const file = configFile === null ? {} : await parseFile(configFile, deps, command);
  return { merged: { ...file, ...env, ...flags }, configFile };
}

/**
 * Builds the server configuration from `args` (the flags after `skiff server`), the environment
 * and the config file, in that order of precedence. Throws {@linkcode ConfigError} naming the
 * flag, variable or file key at fault and the values it accepts.
 *
 * @example Defaults for a non-root user
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadServerConfig } from "./config.ts";
 *
 * const config = await loadServerConfig(["--https-port", "8443"], {
 *   env: { HOME: "/home/pi", SKIFF_LOG_LEVEL: "debug" },
 *   hostname: () => "Edge-1",
 *   uid: () => 1000,
 *   cwd: () => "/",
 *   readTextFile: () => Promise.reject(new Error("no file")),
 * });
 * assert.equal(config.httpsPort, 8443);
 * assert.equal(config.logLevel, "debug");
 * assert.equal(config.nodeName, "edge-1");
 * assert.equal(config.storageUrl, "kv:///home/pi/.skiff/db/state.kv");
 * ```
 */
export async function loadServerConfig(
  args: readonly string[],
  deps: ConfigDeps,
): Promise<ServerConfig> {
  const { merged, configFile } = await readSettings(args, deps, SERVER_COMMAND);
  const storageSetting = merged.storage;
  const storage = storageSetting?.value ?? "kv";
  const endpointsSetting = merged["etcd-endpoints"];
  if (storage === "etcd" && endpointsSetting === undefined) {
    throw new ConfigError(
      `Missing etcd endpoints: storage "etcd" (${storageOrigin(storageSetting)}) needs ` +
        `--etcd-endpoints, ${SPECS["etcd-endpoints"].expected}`,
    );
  }
  if (storage === "kv" && endpointsSetting !== undefined) {
    throw new ConfigError(
      `Cannot use ${describe("etcd-endpoints", endpointsSetting.source)} with storage "kv" ` +
        `(${storageOrigin(storageSetting)}): etcd endpoints need --storage etcd`,
    );
  }

  const { clusterCidr, serviceCidr, clusterDns: dns, defaultClusterDns } = networkSettings(merged);
  const clusterDns = dns ?? defaultClusterDns;
  const disabled = merged.disable?.value ?? [];

  const dataDirSetting = merged["data-dir"];
  const dataDir = dataDirSetting ? expandPath(dataDirSetting.value, deps) : defaultDataDir(deps);
  const etcdEndpoints = Object.freeze([...(endpointsSetting?.value ?? [])]);

  return Object.freeze({
    dataDir,
    httpsPort: merged["https-port"]?.value ?? 6443,
    storage,
    etcdEndpoints,
    disableAgent: merged["disable-agent"]?.value ?? false,
    disableScheduler: merged["disable-scheduler"]?.value ?? false,
    disableControllerManager: merged["disable-controller-manager"]?.value ?? false,
    nodeName: merged["node-name"]?.value ?? defaultNodeName(deps),
    clusterCidr,
    serviceCidr,
    clusterDns,
    clusterDomain: merged["cluster-domain"]?.value ?? "cluster.local",
    flannelBackend: merged["flannel-backend"]?.value ?? "vxlan",
    disableKubeProxy: merged["disable-kube-proxy"]?.value ?? false,
    disableNetworkPolicy: merged["disable-network-policy"]?.value ?? false,
    disableDns: disabled.includes("dns"),
    disableServiceLb: disabled.includes("servicelb"),
    configFile,
    logLevel: merged["log-level"]?.value ?? "info",
    tlsSans: Object.freeze([...(merged["tls-san"]?.value ?? [])]),
    storageUrl: storageUrlOf(storage, dataDir, etcdEndpoints),
    containerRuntimeEndpoint: merged["container-runtime-endpoint"]?.value ?? null,
    nodeIPs: Object.freeze([...(merged["node-ip"]?.value ?? [])]),
    kubeletPort: merged["kubelet-port"]?.value ?? 10250,
  });
}

/**
 * Builds the configuration of `skiff agent` from `args`, the environment and the config file, as
 * {@linkcode loadServerConfig} does. `--server` is required.
 */
export async function loadAgentConfig(
  args: readonly string[],
  deps: ConfigDeps,
): Promise<AgentConfig> {
  const { merged, configFile } = await readSettings(args, deps, AGENT_COMMAND);
  const server = merged.server?.value;
  if (server === undefined) {
    throw new ConfigError(`Missing --server: expected ${SPECS.server.expected}`);
  }
  const dataDirSetting = merged["data-dir"];
  const { clusterCidr, serviceCidr, clusterDns } = networkSettings(merged);
  return Object.freeze({
    dataDir: dataDirSetting ? expandPath(dataDirSetting.value, deps) : defaultDataDir(deps),
    server,
    token: merged.token?.value ?? null,
    nodeName: merged["node-name"]?.value ?? defaultNodeName(deps),
    nodeIPs: Object.freeze([...(merged["node-ip"]?.value ?? [])]),
    containerRuntimeEndpoint: merged["container-runtime-endpoint"]?.value ?? null,
    kubeletPort: merged["kubelet-port"]?.value ?? 10250,
    clusterCidr,
    serviceCidr,
    clusterDns,
    clusterDomain: merged["cluster-domain"]?.value ?? "cluster.local",
    flannelBackend: merged["flannel-backend"]?.value ?? "vxlan",
    disableKubeProxy: merged["disable-kube-proxy"]?.value ?? false,
    disableNetworkPolicy: merged["disable-network-policy"]?.value ?? false,
    disableDns: (merged.disable?.value ?? []).includes("dns"),
    configFile,
    logLevel: merged["log-level"]?.value ?? "info",
  });
}

/**
 * The real outside world for {@linkcode loadServerConfig}: `Deno.env`, `Deno.hostname()`,
 * `Deno.uid()`, `Deno.cwd()` and `Deno.readTextFile()`. Reads the environment when called.
 */
export function systemConfigDeps(): ConfigDeps {
  return {
    env: Deno.env.toObject(),
    hostname: () => Deno.hostname(),
    uid: () => Deno.uid(),
    cwd: () => Deno.cwd(),
    readTextFile: (path) => Deno.readTextFile(path),
  };
}

/** The flags of `skiff server`, one per line with its default, for help output. */
export function serverFlagsHelp(): string {
  return flagsHelp(SERVER_COMMAND);
}

/** The flags of `skiff agent`, as {@linkcode serverFlagsHelp}. */
export function agentFlagsHelp(): string {
  return flagsHelp(AGENT_COMMAND);
}

function flagsHelp(command: Command): string {
  const rows = command.keys.map((key) => {
    const s: KeySpec<unknown> = command.specs[key];
    const flag = s.metavar === "" ? `--${key}` : `--${key} ${s.metavar}`;
    const text = s.defaultHelp === undefined ? s.help : `${s.help} (default: ${s.defaultHelp})`;
    return [flag, text] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`).join("\n");
}
