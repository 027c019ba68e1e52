/**
 * The hash the agent stores in a container's `io.kubernetes.container.hash` annotation: FNV-1a
 * (32 bits, lowercase hex) over the JSON of the fields whose change restarts the container —
 * as upstream, only the name and the image.
 *
 * @module
 */
import type { Container } from "../../control/api/types/core_v1_pod.ts";

/** FNV-1a, 32 bits, of `bytes`. */
export function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The hash of the parts of `container` that identify a running instance of it. */
export function containerHash(container: Pick<Container, "name" | "image">): string {
  const json = JSON.stringify({ image: container.image ?? "", name: container.name });
  return fnv32a(new TextEncoder().encode(json)).toString(16);
}
