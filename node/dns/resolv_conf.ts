/**
 * The host's resolvers, from resolv.conf: {@linkcode parseResolvConf} reads the file's
 * `nameserver`, `search` and `options` lines, and {@linkcode upstreamsFromResolvConf} picks
 * the servers the cluster DNS forwards to.
 *
 * As k3s does for CoreDNS, when `/etc/resolv.conf` names only loopback servers (the
 * systemd-resolved stub 127.0.0.53, a local dnsmasq) the servers of
 * `/run/systemd/resolve/resolv.conf` (the real upstreams behind the stub) are used instead.
 * Unlike CoreDNS in a pod, skiff's DNS server runs in the node's own network namespace, so when
 * there is nothing better the loopback servers are used as they are: they answer there.
 *
 * @module
 */
import { readTextFileIfPresent } from "../../control/util/read_text_file_if_present.ts";
import { canonicalIp, isLoopbackIp } from "./_ip.ts";

/** What a resolv.conf says (only the lines skiff uses). */
export interface ResolvConf {
  /** Server addresses in file order (an IPv6 zone such as `%eth0` kept), valid ones only. */
  readonly nameservers: readonly string[];
  /** The last `search` (or `domain`) line's domains. */
  readonly search: readonly string[];
  /** The words of every `options` line. */
  readonly options: readonly string[];
}

/** Parses resolv.conf text; comments (`#`, `;`) and unknown lines are skipped. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (line === "") continue;
    const [keyword, ...values] = line.split(/\s+/);
    switch (keyword) {
      case "nameserver": {
        const server = values[0];
        if (server === undefined) break;
        const [address] = server.split("%");
        if (canonicalIp(address!) && !nameservers.includes(server)) nameservers.push(server);
        break;
      }
      case "search":
      case "domain":
        search = values;
        break;
      case "options":
        options.push(...values);
        break;
    }
  }
  return { nameservers, search, options };
}

function isLoopbackServer(server: string): boolean {
  const ip = canonicalIp(server.split("%")[0]!);
  return ip !== undefined && isLoopbackIp(ip);
}

/** Options of {@linkcode upstreamsFromResolvConf}. */
export interface UpstreamsFromResolvConfOptions {
  /** @default {"/etc/resolv.conf"} */
  readonly path?: string;
  /** Where systemd-resolved lists its upstreams. @default {"/run/systemd/resolve/resolv.conf"} */
  readonly systemdPath?: string;
  /** Reads a file, `null` when missing. @default {readTextFileIfPresent} */
  readonly readTextFile?: (path: string) => Promise<string | null>;
}

/** The servers chosen and the file they came from. */
export interface ResolvConfUpstreams {
  readonly servers: readonly string[];
  /** The file they came from; `""` when none had any. */
  readonly source: string;
}

/** The servers to forward to (see the module doc); none when no file names any. */
export async function upstreamsFromResolvConf(
  options: UpstreamsFromResolvConfOptions = {},
): Promise<ResolvConfUpstreams> {
  const path = options.path ?? "/etc/resolv.conf";
  const systemdPath = options.systemdPath ?? "/run/systemd/resolve/resolv.conf";
  const read = options.readTextFile ?? readTextFileIfPresent;
  const main = parseResolvConf((await read(path)) ?? "").nameservers;
  const usable = main.filter((s) => !isLoopbackServer(s));
  if (usable.length > 0) return { servers: usable, source: path };
  if (systemdPath !== path) {
    const systemd = parseResolvConf((await read(systemdPath)) ?? "").nameservers
      .filter((s) => !isLoopbackServer(s));
    if (systemd.length > 0) return { servers: systemd, source: systemdPath };
  }
  return { servers: main, source: main.length > 0 ? path : "" };
}
