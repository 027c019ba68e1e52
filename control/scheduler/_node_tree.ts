/**
 * Node names grouped by zone, listed round-robin across zones (upstream `nodeTree`), so that the
 * first nodes the scheduler examines in a cycle spread over the zones.
 *
 * @module
 */
import type { Node } from "../api/types/core_v1_node.ts";

const ZONE_LABEL = "topology.kubernetes.io/zone";
const REGION_LABEL = "topology.kubernetes.io/region";
const BETA_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone";
const BETA_REGION_LABEL = "failure-domain.beta.kubernetes.io/region";

/** The zone a node is in, as upstream's `GetZoneKey`: `region:\0:zone`, or `""`. */
export function zoneKey(node: Node): string {
  const labels = node.metadata?.labels;
  if (labels === undefined) return "";
  const zone = labels[ZONE_LABEL] ?? labels[BETA_ZONE_LABEL] ?? "";
  const region = labels[REGION_LABEL] ?? labels[BETA_REGION_LABEL] ?? "";
  if (region === "" && zone === "") return "";
  return `${region}:\x00:${zone}`;
}

/** Node names by zone, zones in the order they appeared. */
export class NodeTree {
  readonly #zones: string[] = [];
  readonly #tree = new Map<string, string[]>();
  readonly #zoneOf = new Map<string, string>();

  /** How many nodes the tree holds. */
  get size(): number {
    return this.#zoneOf.size;
  }

  /** Adds `node`, or moves it when its zone changed. Returns whether the tree changed. */
  add(node: Node): boolean {
    const name = node.metadata?.name ?? "";
    const zone = zoneKey(node);
    const current = this.#zoneOf.get(name);
    if (current === zone) return false;
    if (current !== undefined) this.remove(name);
    let names = this.#tree.get(zone);
    if (names === undefined) {
      names = [];
      this.#tree.set(zone, names);
      this.#zones.push(zone);
    }
    names.push(name);
    this.#zoneOf.set(name, zone);
    return true;
  }

  /** Removes the node called `name`. Returns whether it was there. */
  remove(name: string): boolean {
    const zone = this.#zoneOf.get(name);
    if (zone === undefined) return false;
    this.#zoneOf.delete(name);
    const names = this.#tree.get(zone)!;
    names.splice(names.indexOf(name), 1);
    if (names.length === 0) {
      this.#tree.delete(zone);
      this.#zones.splice(this.#zones.indexOf(zone), 1);
    }
    return true;
  }

  /** All node names: the first node of each zone, then the second of each, and so on. */
  list(): string[] {
    const out: string[] = [];
    const lists = this.#zones.map((z) => this.#tree.get(z)!);
    for (let i = 0; out.length < this.#zoneOf.size; i++) {
      for (const names of lists) {
        const name = names[i];
        if (name !== undefined) out.push(name);
      }
    }
    return out;
  }
}
