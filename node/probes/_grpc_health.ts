/**
 * The two messages of `grpc.health.v1.Health/Check` on the wire, by hand (each has one field):
 * `HealthCheckRequest { string service = 1; }` and `HealthCheckResponse { ServingStatus status =
 * 1; }`, so that the grpc probe needs no protobuf runtime.
 *
 * @module
 */

/** The RPC's path. */
export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";

/** The serving statuses, by number. */
export const SERVING_STATUSES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

const encoder = new TextEncoder();

function writeVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

/** A HealthCheckRequest for `service` (`""` for the server as a whole: an empty message). */
export function encodeHealthCheckRequest(service: string): Uint8Array {
  if (service === "") return new Uint8Array(0);
  const name = encoder.encode(service);
  const out: number[] = [0x0a]; // field 1, length-delimited
  writeVarint(out, name.length);
  return Uint8Array.from([...out, ...name]);
}

/** A HealthCheckResponse's status by name (its number when not a known status). */
export function decodeHealthCheckResponse(message: Uint8Array): string {
  let status = 0;
  let at = 0;
  function varint(): number {
    let value = 0;
    for (let shift = 0;; shift += 7) {
      const b = message[at++];
      if (b === undefined) throw new SyntaxError("Cannot decode HealthCheckResponse: truncated");
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
  }
  while (at < message.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0: {
        const value = varint();
        if (field === 1) status = value;
        break;
      }
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new SyntaxError(`Cannot decode HealthCheckResponse: wire type ${tag % 8}`);
    }
    if (at > message.length) throw new SyntaxError("Cannot decode HealthCheckResponse: truncated");
  }
  return SERVING_STATUSES[status] ?? String(status);
}
