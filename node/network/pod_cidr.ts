/**
 * {@linkcode waitForPodCidr}: the agent's wait for its Node's `spec.podCIDR`, which the
 * control plane's nodeipam controller sets soon after the node registers. It watches the one
 * Node (`fieldSelector=metadata.name=<node>`) instead of polling, and retries with a capped
 * backoff while the API cannot be reached.
 *
 * @module
 */
import type { Node } from "../../control/api/types/core_v1_node.ts";
import type { Client } from "../../control/client/client.ts";
import { isNotFound } from "../../control/client/errors.ts";
import { NODES } from "../../control/client/resources.ts";
import type { Clock } from "../../control/util/clock.ts";
import type { Logger } from "../../control/util/logger.ts";

/** Options of {@linkcode waitForPodCidr}. */
export interface WaitForPodCidrOptions {
  readonly client: Client;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** The longest wait between retries after an error. @default {30000} */
  readonly maxBackoffMs?: number;
}

/** The node's first pod CIDR (`spec.podCIDRs[0]`, else `spec.podCIDR`), if it has one. */
export function podCidrOf(node: Node): string | undefined {
  return node.spec?.podCIDRs?.[0] ?? (node.spec?.podCIDR || undefined);
}

/**
 * Resolves with the node's pod CIDR once it has one; rejects with `signal.reason` when
 * aborted first.
 */
export async function waitForPodCidr(options: WaitForPodCidrOptions): Promise<string> {
  const { client, nodeName, clock, signal } = options;
  const nodes = client.resource(NODES);
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const logger = options.logger.with({ node: nodeName });
  let backoffMs = 500;
  let logged = false;
  for (;;) {
    signal.throwIfAborted();
    try {
      const node = await nodes.get(nodeName, { signal });
      const cidr = podCidrOf(node);
      if (cidr) return cidr;
      if (!logged) {
        logger.info("Waiting for the node's pod CIDR");
        logged = true;
      }
      for await (
        const event of nodes.watch({
          fieldSelector: `metadata.name=${nodeName}`,
          resourceVersion: node.metadata?.resourceVersion ?? "0",
          signal,
        })
      ) {
        const found = event.type === "DELETED" ? undefined : podCidrOf(event.object);
        if (found) return found;
      }
      backoffMs = 500;
    } catch (err) {
      signal.throwIfAborted();
      if (!isNotFound(err)) {
        logger.warn("Cannot read the node's pod CIDR; retrying", {
          error: err,
          retryInMs: backoffMs,
        });
      }
      await clock.sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    }
  }
}
