/**
 * Network namespaces for tests that need real kernel networking (as root): "hosts" and "pods"
 * a test creates with `ip netns add`, joined by veth pairs with addresses the test picks, and
 * removed when the test ends. Nothing is ever routed outside these namespaces: links are veth
 * pairs between them, never to a physical interface.
 *
 * @example
 * ```ts ignore
 * await using net = new NetnsSet("skprx");
 * const node = await net.add("node");
 * const pod = await net.add("pod");
 * await net.link(node, pod, { a: "10.250.0.1/24", b: "10.250.0.2/24" });
 * await must(inNetns(pod, ["busybox", "ping", "-c1", "10.250.0.1"]));
 * ```
 *
 * @module
 */

const decoder = new TextDecoder();

/** What a command printed and how it exited. */
export interface ShOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode sh}. */
export interface ShOptions {
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** Runs `argv` to completion; a missing program is named with where it comes from. */
export async function sh(argv: readonly string[], options: ShOptions = {}): Promise<ShOutput> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }).spawn();
  } catch (err) {
    throw new Error(`Cannot run "${argv[0]}" (is it installed? scripts/setup.sh installs it)`, {
      cause: err,
    });
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs `argv` and returns its stdout; a non-zero exit throws with its stderr. */
export async function must(argv: readonly string[], options: ShOptions = {}): Promise<string> {
  const out = await sh(argv, options);
  if (out.code !== 0) {
    throw new Error(`"${argv.join(" ")}" exited with ${out.code}: ${out.stderr.trim()}`);
  }
  return out.stdout;
}

/** The path of netns `name` as `ip netns add` mounts it. */
export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** `argv` run inside netns `name` (with nsenter, so the mount namespace stays the test's). */
export function inNetns(name: string, argv: readonly string[]): string[] {
  return ["nsenter", `--net=${netnsPath(name)}`, ...argv];
}

/** The two ends of a veth link, each with its address (CIDR notation). */
export interface LinkAddresses {
  readonly a: string;
  readonly b: string;
  /**
   * Interface names. @default {"eth-<b's suffix>" in a, "eth-<a's suffix>" in b, cut to 15;
   * a random name in the host namespace}
   */
  readonly aName?: string;
  readonly bName?: string;
  readonly mtu?: number;
}

/**
 * Joins netns `namespaces.a` and `namespaces.b` (either may be `""`: the test's own, host
 * namespace) with a veth pair, addresses both ends and brings them up; returns the interface names. A link with one
 * end in a netns goes when that netns is deleted; one between two host-side names must be
 * deleted by whoever made it.
 */
export async function vethLink(
  namespaces: { readonly a: string; readonly b: string },
  addresses: LinkAddresses,
): Promise<{ a: string; b: string }> {
  const { a, b } = namespaces;
  const tail = (ns: string) => ns === "" ? "host" : ns.slice(ns.lastIndexOf("-") + 1);
  const tmp = `skv${crypto.randomUUID().slice(0, 8)}`;
  // In the host namespace a name must not collide with another test's: keep the random one.
  const aName = (addresses.aName ?? (a === "" ? tmp : `eth-${tail(b)}`)).slice(0, 15);
  const bName = (addresses.bName ?? (b === "" ? `${tmp}p` : `eth-${tail(a)}`)).slice(0, 15);
  await must(["ip", "link", "add", tmp, "type", "veth", "peer", "name", `${tmp}p`]);
  const ends = [[a, tmp, aName, addresses.a], [b, `${tmp}p`, bName, addresses.b]] as const;
  for (const [ns, dev, name, cidr] of ends) {
    if (ns !== "") await must(["ip", "link", "set", dev, "netns", ns]);
    const ip = ns === "" ? ["ip"] : ["ip", "-n", ns];
    await must([...ip, "link", "set", dev, "name", name]);
    if (addresses.mtu) await must([...ip, "link", "set", name, "mtu", String(addresses.mtu)]);
    await must([...ip, "addr", "add", cidr, "dev", name]);
    await must([...ip, "link", "set", name, "up"]);
  }
  return { a: aName, b: bName };
}

/**
 * The network namespaces of one test, named `<prefix><random>-<suffix>` so that tests running
 * side by side never share one; all are deleted at disposal (with every veth inside them).
 */
export class NetnsSet implements AsyncDisposable {
  readonly prefix: string;
  readonly #names: string[] = [];

  constructor(prefix: string) {
    this.prefix = `${prefix}${crypto.randomUUID().slice(0, 6)}`;
  }

  /** The namespaces made so far. */
  get names(): readonly string[] {
    return this.#names;
  }

  /** Creates netns `<prefix>-<suffix>` with `lo` up and forwarding on; returns its name. */
  async add(suffix: string): Promise<string> {
    const name = `${this.prefix}-${suffix}`;
    await must(["ip", "netns", "add", name]);
    this.#names.push(name);
    await must(["ip", "-n", name, "link", "set", "lo", "up"]);
    await must(inNetns(name, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]));
    return name;
  }

  /**
   * Joins netns `a` and `b` (either may be `""`: the test's own, host namespace) with a veth
   * pair, addresses both ends and brings them up ({@linkcode vethLink}).
   */
  link(a: string, b: string, addresses: LinkAddresses): Promise<{ a: string; b: string }> {
    return vethLink({ a, b }, addresses);
  }

  /** Deletes netns `name` now. */
  async remove(name: string): Promise<void> {
    await must(["ip", "netns", "del", name]);
    this.#names.splice(this.#names.indexOf(name), 1);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const name of this.#names.splice(0).reverse()) await sh(["ip", "netns", "del", name]);
  }
}

/** The flags that turn off a node's network components (Service proxy, NetworkPolicy, DNS). */
export const NODE_NETWORK_OFF_FLAGS: readonly string[] = Object.freeze([
  "--disable-kube-proxy",
  "--disable-network-policy",
  "--disable",
  "dns",
]);

/**
 * The flags an agent of a test gets for its network components: none in a netns of the test's
 * own, and {@linkcode NODE_NETWORK_OFF_FLAGS} in the host namespace — agents of tests side by
 * side there would share one nft table and one cluster DNS address — unless `args` already
 * choose.
 */
export function nodeNetworkArgs(inNetns: boolean, args: readonly string[]): readonly string[] {
  if (inNetns) return [];
  const chosen = args.some((a) =>
    /^--(disable-kube-proxy|disable-network-policy|disable)(=|$)/.test(a)
  );
  return chosen ? [] : NODE_NETWORK_OFF_FLAGS;
}
