/**
 * A set of equal-sized IPv4 subnets carved out of a cluster CIDR, as kube-controller-manager's
 * `cidrset`: allocation takes the next free subnet after the last one handed out (round
 * robin, starting with the first subnet), occupying and releasing mark given subnets.
 *
 * @module
 */

/** An IPv4 CIDR block as numbers. */
export interface Ipv4Block {
  readonly network: number;
  readonly prefix: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** The block `text`, or `null` when it is not an IPv4 CIDR with no host bits set. */
export function parseIpv4Block(text: string): Ipv4Block | null {
  const [addr, prefixText, ...rest] = text.split("/");
  if (addr === undefined || prefixText === undefined || rest.length > 0) return null;
  if (!/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) return null;
  const parts = addr.split(".");
  if (parts.length !== 4 || parts.some((p) => !OCTET.test(p) || Number(p) > 255)) return null;
  const network = parts.reduce((n, p) => n * 256 + Number(p), 0);
  const prefix = Number(prefixText);
  const size = 2 ** (32 - prefix);
  if (network % size !== 0) return null;
  return { network, prefix };
}

/** `10.42.3.0/24`. */
export function formatIpv4Block(block: Ipv4Block): string {
  const n = block.network;
  return `${Math.floor(n / 2 ** 24)}.${Math.floor(n / 2 ** 16) % 256}.${
    Math.floor(n / 256) % 256
  }.${n % 256}/${block.prefix}`;
}

/** The subnets of one cluster CIDR, each free or used. */
export class CidrSet {
  readonly #cluster: Ipv4Block;
  readonly #maskSize: number;
  readonly #used: Uint8Array;
  #next = 0;
  #count = 0;

  /**
   * @throws {RangeError} when the mask is not longer than the cluster's prefix, is longer than
   * /30, or makes more than 65536 subnets (upstream's limit of 16 bits).
   */
  constructor(cluster: Ipv4Block, maskSize: number) {
    if (!Number.isInteger(maskSize) || maskSize < cluster.prefix || maskSize > 30) {
      throw new RangeError(
        `Invalid node CIDR mask size ${maskSize}: must be from /${cluster.prefix} to /30 for cluster CIDR "${
          formatIpv4Block(cluster)
        }"`,
      );
    }
    if (maskSize - cluster.prefix > 16) {
      throw new RangeError(
        `Invalid node CIDR mask size ${maskSize}: the difference between the cluster CIDR's prefix /${cluster.prefix} and the node mask must be no larger than 16`,
      );
    }
    this.#cluster = cluster;
    this.#maskSize = maskSize;
    this.#used = new Uint8Array(2 ** (maskSize - cluster.prefix));
  }

  /** How many subnets there are. */
  get size(): number {
    return this.#used.length;
  }

  /** How many are used. */
  get used(): number {
    return this.#count;
  }

  /** The next free subnet, now used; `null` when none is left. */
  allocateNext(): string | null {
    for (let i = 0; i < this.#used.length; i++) {
      const index = (this.#next + i) % this.#used.length;
      if (this.#used[index]) continue;
      this.#mark(index, true);
      this.#next = (index + 1) % this.#used.length;
      return this.#format(index);
    }
    return null;
  }

  /**
   * Marks every subnet overlapping `cidr` as used.
   *
   * @throws {RangeError} when `cidr` is not an IPv4 CIDR or lies outside the cluster CIDR.
   */
  occupy(cidr: string): void {
    for (const index of this.#indexes(cidr)) this.#mark(index, true);
  }

  /** Marks every subnet overlapping `cidr` as free (see {@linkcode CidrSet.occupy}). */
  release(cidr: string): void {
    for (const index of this.#indexes(cidr)) this.#mark(index, false);
  }

  /** Whether `cidr` is one of the subnets and used. */
  isUsed(cidr: string): boolean {
    const block = parseIpv4Block(cidr);
    if (!block || block.prefix !== this.#maskSize) return false;
    const index = this.#indexOf(block.network);
    return index !== null && this.#used[index] === 1;
  }

  /** Marks the subnets overlapping `cidr`, which may also be partly outside (a service range). */
  occupyOverlap(cidr: Ipv4Block): void {
    const size = 2 ** (32 - cidr.prefix);
    const start = Math.max(cidr.network, this.#cluster.network);
    const end = Math.min(
      cidr.network + size,
      this.#cluster.network + 2 ** (32 - this.#cluster.prefix),
    );
    if (start >= end) return;
    const step = 2 ** (32 - this.#maskSize);
    for (let n = start - ((start - this.#cluster.network) % step); n < end; n += step) {
      this.#mark((n - this.#cluster.network) / step, true);
    }
  }

  #indexes(cidr: string): number[] {
    const block = parseIpv4Block(cidr);
    if (!block) throw new RangeError(`Invalid CIDR "${cidr}"`);
    const clusterSize = 2 ** (32 - this.#cluster.prefix);
    const size = 2 ** (32 - block.prefix);
    if (
      block.prefix < this.#cluster.prefix || block.network < this.#cluster.network ||
      block.network + size > this.#cluster.network + clusterSize
    ) {
      throw new RangeError(
        `CIDR "${cidr}" is out of the range of cluster CIDR "${formatIpv4Block(this.#cluster)}"`,
      );
    }
    const step = 2 ** (32 - this.#maskSize);
    const first = Math.floor((block.network - this.#cluster.network) / step);
    const count = Math.max(1, size / step);
    return Array.from({ length: count }, (_, i) => first + i);
  }

  #indexOf(network: number): number | null {
    const step = 2 ** (32 - this.#maskSize);
    const offset = network - this.#cluster.network;
    if (offset < 0 || offset % step !== 0 || offset / step >= this.#used.length) return null;
    return offset / step;
  }

  #mark(index: number, used: boolean): void {
    const was = this.#used[index] === 1;
    if (was === used) return;
    this.#used[index] = used ? 1 : 0;
    this.#count += used ? 1 : -1;
  }

  #format(index: number): string {
    return formatIpv4Block({
      network: this.#cluster.network + index * 2 ** (32 - this.#maskSize),
      prefix: this.#maskSize,
    });
  }
}
