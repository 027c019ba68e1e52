/**
 * A {@linkcode NetpolRuleset} as `nft -f -` input: the whole table
 * ({@linkcode fullNetpolTransaction}, at start and after a failure) or only what changed since
 * the last applied ruleset ({@linkcode incrementalNetpolTransaction}).
 *
 * The table (`inet`, default `skiff-netpol`) has three base chains, all `policy accept`, each
 * starting with `ct state established,related accept` so replies of allowed connections pass:
 * - `forward-egress` (hook forward, priority 0): `ip saddr . ip daddr @self accept`, then
 *   `ip saddr vmap @egress-pods` — traffic a local pod sends to another pod or off the node.
 * - `forward-ingress` (hook forward, priority 1): the same with `ip daddr vmap @ingress-pods`
 *   — traffic to a local pod from anywhere but the node itself. Separate base chains because
 *   an `accept` ends only its own base chain: a packet between two local pods must pass the
 *   sender's egress and then the receiver's ingress.
 * - `input-egress` (hook input, priority 0): `ip saddr vmap @egress-pods` — what a local pod
 *   sends to the node itself (a Service DNATed to a node address) — after accepting the
 *   node-local services (the cluster DNS) every pod may reach.
 *
 * Nothing hooks output: the node's own traffic to its pods (kubelet probes) always passes.
 *
 * An incremental transaction: declares new sets, maps and chains; rewrites (flush + add) the
 * chains whose rules changed; deletes then adds set and map elements (a map key whose chain
 * changed is deleted and added again, which nft needs); then flushes and deletes chains, and
 * deletes sets, nothing refers to any more. The base chains never change after a full sync.
 *
 * @example The incremental change when a pod gets a label
 * ```ts ignore
 * const text = incrementalNetpolTransaction({ previous, next }, { table: "skiff-netpol" });
 * // add element inet skiff-netpol pods-… { 10.42.0.7 }
 * ```
 *
 * @module
 */
import {
  NETPOL_EGRESS_MAP,
  NETPOL_INGRESS_MAP,
  NETPOL_SELF_SET,
  type NetpolRuleset,
  type NetpolSet,
  renderNetpolRule,
} from "./netpol_ruleset.ts";

/** Options of the transaction renderers. */
export interface NetpolTransactionOptions {
  /** The `inet` table's name. */
  readonly table: string;
  /** At most this many elements per `add element` / `delete element` line. @default {1000} */
  readonly elementsPerLine?: number;
  /**
   * Addresses on the node that pods always reach whatever their egress policy says: the
   * node-local cluster DNS. Kubernetes lets traffic to a pod's own node pass, and users allow
   * DNS by selecting the kube-dns *pods*, which skiff's node-local DNS is not.
   */
  readonly nodeLocalServiceIPs?: readonly string[];
}

/** The ruleset the table holds and the one it should hold. */
export interface NetpolChange {
  readonly previous: NetpolRuleset;
  readonly next: NetpolRuleset;
}

/** The base chains: name → hook and priority. */
export const NETPOL_BASE_CHAINS: Readonly<
  Record<string, { readonly hook: "forward" | "input"; readonly priority: number }>
> = Object.freeze({
  "forward-egress": Object.freeze({ hook: "forward", priority: 0 }),
  "forward-ingress": Object.freeze({ hook: "forward", priority: 1 }),
  "input-egress": Object.freeze({ hook: "input", priority: 0 }),
});

function baseChainRules(name: string, nodeLocalServiceIPs: readonly string[]): string[] {
  const established = "ct state established,related accept";
  switch (name) {
    case "forward-egress":
      return [
        established,
        `ip saddr . ip daddr @${NETPOL_SELF_SET} accept`,
        `ip saddr vmap @${NETPOL_EGRESS_MAP}`,
      ];
    case "forward-ingress":
      return [
        established,
        `ip saddr . ip daddr @${NETPOL_SELF_SET} accept`,
        `ip daddr vmap @${NETPOL_INGRESS_MAP}`,
      ];
    default:
      return [
        established,
        ...(nodeLocalServiceIPs.length > 0
          ? [`ip daddr { ${nodeLocalServiceIPs.join(", ")} } accept`]
          : []),
        `ip saddr vmap @${NETPOL_EGRESS_MAP}`,
      ];
  }
}

function sorted<T>(items: Iterable<T>): T[] {
  return [...items].sort();
}

class Lines {
  readonly out: string[] = [];
  readonly #table: string;
  readonly #perLine: number;

  constructor(options: NetpolTransactionOptions) {
    this.#table = `inet ${options.table}`;
    this.#perLine = options.elementsPerLine ?? 1000;
  }

  add(text: string): void {
    this.out.push(text);
  }

  object(verb: string, what: string, rest = ""): void {
    this.out.push(`${verb} ${what} ${this.#table}${rest === "" ? "" : ` ${rest}`}`);
  }

  elements(verb: "add" | "delete", set: string, elements: readonly string[]): void {
    for (let i = 0; i < elements.length; i += this.#perLine) {
      const chunk = elements.slice(i, i + this.#perLine);
      this.object(verb, "element", `${set} { ${chunk.join(", ")} }`);
    }
  }

  rules(chain: string, rules: readonly string[]): void {
    for (const rule of rules) this.object("add", "rule", `${chain} ${rule}`);
  }

  text(): string {
    return this.out.length === 0 ? "" : `${this.out.join("\n")}\n`;
  }
}

function declareSet(lines: Lines, name: string, content: NetpolSet): void {
  lines.object("add", "set", `${name} { type ${content.type}; }`);
}

function mapElements(map: ReadonlyMap<string, string>, keys: Iterable<string>): string[] {
  return sorted(keys).map((ip) => `${ip} : goto ${map.get(ip)}`);
}

/**
 * The whole table: created if missing, deleted and made again in the same transaction, so
 * whatever was in it before (another version's rules, a half-applied sync) is gone.
 */
export function fullNetpolTransaction(
  ruleset: NetpolRuleset,
  options: NetpolTransactionOptions,
): string {
  const lines = new Lines(options);
  lines.object("add", "table");
  lines.object("delete", "table");
  lines.object("add", "table");
  for (const [name, { hook, priority }] of Object.entries(NETPOL_BASE_CHAINS)) {
    lines.object(
      "add",
      "chain",
      `${name} { type filter hook ${hook} priority ${priority}; policy accept; }`,
    );
  }
  const setNames = sorted(ruleset.sets.keys());
  for (const name of setNames) declareSet(lines, name, ruleset.sets.get(name)!);
  for (const name of sorted(ruleset.maps.keys())) {
    lines.object("add", "map", `${name} { type ipv4_addr : verdict; }`);
  }
  for (const name of ruleset.chains.keys()) lines.object("add", "chain", name);
  for (const name of setNames) {
    lines.elements("add", name, sorted(ruleset.sets.get(name)!.elements));
  }
  for (const [name, rules] of ruleset.chains) lines.rules(name, rules.map(renderNetpolRule));
  for (const name of sorted(ruleset.maps.keys())) {
    const map = ruleset.maps.get(name)!;
    lines.elements("add", name, mapElements(map, map.keys()));
  }
  for (const name of Object.keys(NETPOL_BASE_CHAINS)) {
    lines.rules(name, baseChainRules(name, options.nodeLocalServiceIPs ?? []));
  }
  return lines.text();
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((rule, i) => rule === b[i]);
}

/**
 * What turns the table holding `previous` into one holding `next`: `""` when nothing
 * changed, `undefined` when a set changed its key type (which only a full transaction can
 * do; names encode the type, so it does not happen). `previous` must be what the table holds.
 */
export function incrementalNetpolTransaction(
  change: NetpolChange,
  options: NetpolTransactionOptions,
): string | undefined {
  const { previous, next } = change;
  for (const [name, content] of next.sets) {
    const before = previous.sets.get(name);
    if (before !== undefined && before.type !== content.type) return undefined;
  }
  const lines = new Lines(options);
  const newSets = sorted(next.sets.keys()).filter((name) => !previous.sets.has(name));
  const staleSets = sorted(previous.sets.keys()).filter((name) => !next.sets.has(name));
  const newMaps = sorted(next.maps.keys()).filter((name) => !previous.maps.has(name));
  const staleMaps = sorted(previous.maps.keys()).filter((name) => !next.maps.has(name));
  const staleChains = [...previous.chains.keys()].filter((name) => !next.chains.has(name));
  const rendered = new Map<string, string[]>();
  for (const [name, rules] of next.chains) rendered.set(name, rules.map(renderNetpolRule));
  const changedChains = [...next.chains.keys()].filter((name) => {
    const before = previous.chains.get(name);
    return before === undefined || !sameRules(before.map(renderNetpolRule), rendered.get(name)!);
  });

  for (const name of newSets) declareSet(lines, name, next.sets.get(name)!);
  for (const name of newMaps) lines.object("add", "map", `${name} { type ipv4_addr : verdict; }`);
  for (const name of changedChains) {
    if (!previous.chains.has(name)) lines.object("add", "chain", name);
  }
  for (const name of sorted(next.sets.keys())) {
    const after = next.sets.get(name)!.elements;
    const before = previous.sets.get(name)?.elements ?? new Set<string>();
    lines.elements("delete", name, sorted([...before].filter((e) => !after.has(e))));
    lines.elements("add", name, sorted([...after].filter((e) => !before.has(e))));
  }
  for (const name of changedChains) {
    if (previous.chains.has(name)) lines.object("flush", "chain", name);
    lines.rules(name, rendered.get(name)!);
  }
  for (const name of sorted(next.maps.keys())) {
    const after = next.maps.get(name)!;
    const before = previous.maps.get(name) ?? new Map<string, string>();
    const gone = [...before.keys()].filter((ip) => after.get(ip) !== before.get(ip));
    const added = [...after.keys()].filter((ip) => after.get(ip) !== before.get(ip));
    lines.elements("delete", name, sorted(gone));
    lines.elements("add", name, mapElements(after, added));
  }
  // Stale chains may jump to each other: empty them all before deleting any.
  for (const name of staleChains) lines.object("flush", "chain", name);
  for (const name of staleChains) lines.object("delete", "chain", name);
  for (const name of staleSets) lines.object("delete", "set", name);
  for (const name of staleMaps) lines.object("delete", "map", name);
  return lines.text();
}
