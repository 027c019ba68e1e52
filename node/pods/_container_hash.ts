/**
 * The hash the agent stores in a container's `io.kubernetes.container.hash` annotation, as the
 * kubelet computes it: FNV-1a (32 bits, lowercase hex) over the Go `%#v` dump
 * (`([]uint8)[123 34 …]`) of the JSON of the fields whose change restarts the container — only
 * the name and the image.
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

/** JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The hash of the parts of `container` that identify a running instance of it. */
export function containerHash(container: Pick<Container, "name" | "image">): string {
  const json = new TextEncoder().encode(
    goJson({ image: container.image ?? "", name: container.name }),
  );
  const dump = `([]uint8)[${json.join(" ")}]`;
  return fnv32a(new TextEncoder().encode(dump)).toString(16);
}
