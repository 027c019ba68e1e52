/**
 * The configuration skiff gives the containerd it runs: containerd 1.6's `version = 2` TOML,
 * rendered from a few options by a pure function, plus the default layout of its directories
 * under skiff's data dir.
 *
 * @module
 */

/** Snapshotters skiff can configure: `overlayfs` (the default) or `native` (plain copies). */
export type ContainerdSnapshotter = "overlayfs" | "native";

/** containerd's log levels, as its `[debug] level` accepts them. */
export type ContainerdLogLevel = "trace" | "debug" | "info" | "warn" | "error";

/**
 * The longest unix socket path Linux accepts (`sun_path` holds 108 bytes with the NUL), less
 * the `.ttrpc` containerd appends for its second socket.
 */
export const MAX_CONTAINERD_SOCKET_PATH_BYTES = 107 - ".ttrpc".length;

/** Plugins skiff's containerd never uses; not loading them saves memory and start-up work. */
export const DISABLED_CONTAINERD_PLUGINS: readonly string[] = Object.freeze([
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.tracing",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
]);

/** What {@linkcode renderContainerdConfig} renders. */
export interface ContainerdConfigOptions {
  /** containerd's persistent root (images, snapshots, metadata). */
  readonly rootDir: string;
  /** containerd's state dir (sockets of shims, mounted rootfs, netns when under state). */
  readonly stateDir: string;
  /** The gRPC socket; containerd adds `<socketPath>.ttrpc` beside it. */
  readonly socketPath: string;
  /** Where containerd looks for CNI plugin binaries. */
  readonly cniBinDir: string;
  /** Where containerd looks for CNI network configs. */
  readonly cniConfDir: string;
  /** The pod sandbox (pause) image; on offline nodes it must be imported into `k8s.io`. */
  readonly sandboxImage: string;
  /**
   * runc's state root (`runtimes.runc.options.Root`). runc's own default,
   * `/run/containerd/runc`, is shared by every containerd on the host, so containers of two
   * instances with one name collide there. @default {`${stateDir}/runc`}
   */
  readonly runcRoot?: string;
  /** @default {"overlayfs"} */
  readonly snapshotter?: ContainerdSnapshotter;
  /** Whether runc uses the systemd cgroup driver; false for cgroupfs. @default {false} */
  readonly systemdCgroup?: boolean;
  /** @default {"127.0.0.1"} */
  readonly streamServerAddress?: string;
  /** The streaming server's port; `"0"` picks a free one. @default {"0"} */
  readonly streamServerPort?: string;
  /** Longer container log lines are split into partial (`P`) lines; -1 = unlimited. @default {16384} */
  readonly maxContainerLogLineSize?: number;
  /**
   * Do not give sandboxes a lower oom_score_adj than containerd's own; needed where containerd
   * lacks CAP_SYS_RESOURCE (containers, user namespaces). @default {false}
   */
  readonly restrictOomScoreAdj?: boolean;
  /** Mount pod network namespaces under the state dir instead of `/var/run/netns`. @default {false} */
  readonly netnsMountsUnderStateDir?: boolean;
  /** A `hosts.toml` tree (`<dir>/<registry host>/hosts.toml`) for mirrors and registry TLS. */
  readonly registryConfigPath?: string;
  /**
   * Credentials per registry host (`registry.configs."<host>".auth`): containerd 1.6 still
   * reads them with `config_path` set, while `hosts.toml` has no auth. Keys are hosts as
   * containerd dials them (`registry-1.docker.io`, `mirror.local:5000`).
   */
  readonly registryAuths?: Readonly<Record<string, ContainerdRegistryAuth>>;
  /** containerd's own oom_score_adj; unset leaves it as inherited. */
  readonly oomScore?: number;
  /** @default {"info"} */
  readonly logLevel?: ContainerdLogLevel;
  /** @default {DISABLED_CONTAINERD_PLUGINS} */
  readonly disabledPlugins?: readonly string[];
}

/**
 * One registry's credentials as containerd 1.6's `registry.configs."<host>".auth` takes them:
 * a user and password, `auth` (base64 of `user:password`), or an `identitytoken`.
 */
export interface ContainerdRegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly auth?: string;
  readonly identitytoken?: string;
}

/** The directories and files of a containerd run by skiff. */
export interface ContainerdLayout {
  readonly configPath: string;
  readonly rootDir: string;
  readonly stateDir: string;
  readonly socketPath: string;
  readonly cniBinDir: string;
  readonly cniConfDir: string;
  readonly registryConfigPath: string;
}

/** Options of {@linkcode containerdLayout}. */
export interface ContainerdLayoutOptions {
  /** skiff's `--data-dir`. */
  readonly dataDir: string;
  /**
   * Where the state dir and socket go: `<runDir>/containerd`. The default data dir
   * (`/var/lib/skiff`, a root install) uses the tmpfs `/run/skiff`: state must not survive a
   * reboot, and writes there spare the SD card. Any other data dir keeps its own `<dataDir>/run`,
   * so several skiff instances on one host never share a socket.
   * @default {"/run/skiff" for "/var/lib/skiff", else `${dataDir}/run`}
   */
  readonly runDir?: string;
}

const DEFAULT_ROOT_DATA_DIR = "/var/lib/skiff";
const DEFAULT_ROOT_RUN_DIR = "/run/skiff";
const CRI = `plugins."io.containerd.grpc.v1.cri"`;

function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

function tomlStrings(values: readonly string[]): string {
  return `[${values.map(tomlString).join(", ")}]`;
}

function requireAbsolute(name: string, path: string): void {
  if (!path.startsWith("/")) {
    throw new TypeError(`Cannot configure containerd: ${name} "${path}" is not an absolute path`);
  }
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Renders containerd 1.6's config (`version = 2`) for `options`: its own root, state and
 * socket, the CRI plugin with the sandbox image, runc via `io.containerd.runc.v2`, skiff's CNI
 * dirs, the streaming server and the registry `hosts.toml` path. Logs are JSON lines on stderr.
 *
 * Throws `TypeError` for relative paths and `RangeError` for a socket path too long for a unix
 * socket (with `.ttrpc` appended) or a bad log line size.
 */
export function renderContainerdConfig(options: ContainerdConfigOptions): string {
  const paths: [string, string][] = [
    ["rootDir", options.rootDir],
    ["stateDir", options.stateDir],
    ["socketPath", options.socketPath],
    ["cniBinDir", options.cniBinDir],
    ["cniConfDir", options.cniConfDir],
  ];
  if (options.registryConfigPath !== undefined) {
    paths.push(["registryConfigPath", options.registryConfigPath]);
  }
  if (options.runcRoot !== undefined) paths.push(["runcRoot", options.runcRoot]);
  for (const [name, path] of paths) requireAbsolute(name, path);
  const socketBytes = byteLength(options.socketPath);
  if (socketBytes > MAX_CONTAINERD_SOCKET_PATH_BYTES) {
    throw new RangeError(
      `Cannot configure containerd: socket path "${options.socketPath}" is ${socketBytes} bytes, ` +
        `at most ${MAX_CONTAINERD_SOCKET_PATH_BYTES} fit in a unix socket address with ".ttrpc" appended`,
    );
  }
  const lineSize = options.maxContainerLogLineSize ?? 16384;
  if (!Number.isSafeInteger(lineSize) || lineSize < -1 || lineSize === 0) {
    throw new RangeError(
      `Cannot configure containerd: max container log line size "${lineSize}" must be -1 or a positive integer`,
    );
  }
  if (options.oomScore !== undefined) {
    if (!Number.isSafeInteger(options.oomScore) || Math.abs(options.oomScore) > 1000) {
      throw new RangeError(
        `Cannot configure containerd: oom score "${options.oomScore}" must be an integer from -1000 to 1000`,
      );
    }
  }
  const lines = [
    "# Written by skiff; changes are overwritten when skiff starts containerd.",
    "version = 2",
    `root = ${tomlString(options.rootDir)}`,
    `state = ${tomlString(options.stateDir)}`,
  ];
  if (options.oomScore !== undefined) lines.push(`oom_score = ${options.oomScore}`);
  lines.push(
    `disabled_plugins = ${tomlStrings(options.disabledPlugins ?? DISABLED_CONTAINERD_PLUGINS)}`,
    "",
    "[grpc]",
    `  address = ${tomlString(options.socketPath)}`,
    "",
    "[debug]",
    `  level = ${tomlString(options.logLevel ?? "info")}`,
    `  format = "json"`,
    "",
    `[${CRI}]`,
    `  sandbox_image = ${tomlString(options.sandboxImage)}`,
    `  stream_server_address = ${tomlString(options.streamServerAddress ?? "127.0.0.1")}`,
    `  stream_server_port = ${tomlString(options.streamServerPort ?? "0")}`,
    `  enable_tls_streaming = false`,
    `  max_container_log_line_size = ${lineSize}`,
    `  restrict_oom_score_adj = ${options.restrictOomScoreAdj ?? false}`,
    `  netns_mounts_under_state_dir = ${options.netnsMountsUnderStateDir ?? false}`,
    "",
    `  [${CRI}.containerd]`,
    `    snapshotter = ${tomlString(options.snapshotter ?? "overlayfs")}`,
    `    default_runtime_name = "runc"`,
    `    disable_snapshot_annotations = true`,
    "",
    `    [${CRI}.containerd.runtimes.runc]`,
    `      runtime_type = "io.containerd.runc.v2"`,
    "",
    `      [${CRI}.containerd.runtimes.runc.options]`,
    `        SystemdCgroup = ${options.systemdCgroup ?? false}`,
    `        Root = ${tomlString(options.runcRoot ?? `${trimSlash(options.stateDir)}/runc`)}`,
    "",
    `  [${CRI}.cni]`,
    `    bin_dir = ${tomlString(options.cniBinDir)}`,
    `    conf_dir = ${tomlString(options.cniConfDir)}`,
    `    max_conf_num = 1`,
  );
  if (options.registryConfigPath !== undefined) {
    lines.push(
      "",
      `  [${CRI}.registry]`,
      `    config_path = ${tomlString(options.registryConfigPath)}`,
    );
  }
  for (const [host, auth] of Object.entries(options.registryAuths ?? {}).sort(byKey)) {
    lines.push(...registryAuthLines(host, auth));
  }
  return lines.join("\n") + "\n";
}

function byKey(a: [string, unknown], b: [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

const REGISTRY_AUTH_KEYS = ["username", "password", "auth", "identitytoken"] as const;

function registryAuthLines(host: string, auth: ContainerdRegistryAuth): string[] {
  if (host === "" || /[\s/"\\]/.test(host)) {
    throw new TypeError(`Cannot configure containerd: registry host "${host}" is not a host`);
  }
  const fields = REGISTRY_AUTH_KEYS.filter((key) => auth[key] !== undefined);
  if (fields.length === 0) {
    throw new TypeError(`Cannot configure containerd: registry auth of "${host}" is empty`);
  }
  return [
    "",
    `  [${CRI}.registry.configs.${tomlString(host)}.auth]`,
    ...fields.map((key) => `    ${key} = ${tomlString(auth[key]!)}`),
  ];
}

function trimSlash(dir: string): string {
  return dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
}

/**
 * Where skiff keeps containerd's files for `--data-dir`: config, root and CNI dirs under
 * `<data-dir>/agent/`, state and socket under `<runDir>/containerd/`.
 */
export function containerdLayout(options: ContainerdLayoutOptions): ContainerdLayout {
  const dataDir = trimSlash(options.dataDir);
  const agent = `${dataDir}/agent`;
  const runDir = options.runDir ??
    (dataDir === DEFAULT_ROOT_DATA_DIR ? DEFAULT_ROOT_RUN_DIR : `${dataDir}/run`);
  const run = `${trimSlash(runDir)}/containerd`;
  return {
    configPath: `${agent}/etc/containerd/config.toml`,
    rootDir: `${agent}/containerd`,
    stateDir: run,
    socketPath: `${run}/containerd.sock`,
    cniBinDir: `${agent}/cni/bin`,
    cniConfDir: `${agent}/cni/net.d`,
    registryConfigPath: `${agent}/etc/containerd/certs.d`,
  };
}
