/**
 * Which EndpointSlice generations the controller wrote, per Service (upstream
 * `EndpointSliceTracker`), so it can tell its own writes from changes by others and refuse to
 * reconcile from an informer cache that has not caught up with them yet.
 *
 * @module
 */
import { LABEL_SERVICE_NAME } from "../api/types/discovery_v1.ts";
import type { EndpointSlice } from "../api/types/discovery_v1.ts";
import type { Service } from "../api/types/core_v1_service.ts";

/** The generation recorded for a slice the controller deleted. */
const DELETION_EXPECTED = -1;

function serviceKeyOf(slice: EndpointSlice): string {
  return `${slice.metadata?.namespace ?? ""}/${slice.metadata?.labels?.[LABEL_SERVICE_NAME] ?? ""}`;
}

/** Expected generations of slices by uid, per Service key. */
export class EndpointSliceTracker {
  readonly #byService = new Map<string, Map<string, number>>();
  readonly #serviceUids = new Map<string, string>();

  /** Whether a generation is recorded for `slice`. */
  has(slice: EndpointSlice): boolean {
    return this.#byService.get(serviceKeyOf(slice))?.has(slice.metadata?.uid ?? "") ?? false;
  }

  /** Whether `slice` changed beyond what the controller wrote (or is unknown to it). */
  shouldSync(slice: EndpointSlice): boolean {
    const expected = this.#byService.get(serviceKeyOf(slice))?.get(slice.metadata?.uid ?? "");
    return expected === undefined || (slice.metadata?.generation ?? 0) > expected;
  }

  /**
   * Whether the cache lags the controller's writes for `service`: a slice older than written,
   * one the controller deleted still there, or one it wrote missing. A Service recreated under
   * the same name (new uid) starts afresh.
   */
  staleSlices(service: Service, slices: readonly EndpointSlice[]): boolean {
    const key = `${service.metadata?.namespace ?? ""}/${service.metadata?.name ?? ""}`;
    const uid = service.metadata?.uid ?? "";
    const tracked = this.#serviceUids.get(key);
    if (tracked && uid && tracked !== uid) this.#byService.delete(key);
    this.#serviceUids.set(key, uid);
    const generations = this.#byService.get(key);
    if (!generations) return false;
    const provided = new Set<string>();
    for (const slice of slices) {
      const sliceUid = slice.metadata?.uid ?? "";
      provided.add(sliceUid);
      const expected = generations.get(sliceUid);
      if (
        expected !== undefined &&
        (expected === DELETION_EXPECTED || expected > (slice.metadata?.generation ?? 0))
      ) {
        return true;
      }
    }
    for (const [sliceUid, generation] of generations) {
      if (generation !== DELETION_EXPECTED && !provided.has(sliceUid)) return true;
    }
    return false;
  }

  /** Records the generation of a slice the controller wrote. */
  update(slice: EndpointSlice): void {
    this.#generations(slice).set(slice.metadata?.uid ?? "", slice.metadata?.generation ?? 0);
  }

  /** Records that the controller deleted `slice`. */
  expectDeletion(slice: EndpointSlice): void {
    this.#generations(slice).set(slice.metadata?.uid ?? "", DELETION_EXPECTED);
  }

  /** Forgets `slice`; answers whether its deletion was the controller's own. */
  handleDeletion(slice: EndpointSlice): boolean {
    const generations = this.#byService.get(serviceKeyOf(slice));
    const uid = slice.metadata?.uid ?? "";
    const expected = generations?.get(uid);
    generations?.delete(uid);
    return expected === DELETION_EXPECTED;
  }

  /** Forgets a deleted Service. */
  deleteService(key: string): void {
    this.#byService.delete(key);
    this.#serviceUids.delete(key);
  }

  #generations(slice: EndpointSlice): Map<string, number> {
    const key = serviceKeyOf(slice);
    let generations = this.#byService.get(key);
    if (!generations) this.#byService.set(key, generations = new Map());
    return generations;
  }
}
