/**
 * A V8 CPU profile of a host process's measured phase, taken through `node:inspector`.
 *
 * @module
 */
import { Session } from "node:inspector/promises";

/** Profiles this process between {@linkcode HostProfiler.start} and `stopTo`. */
export class HostProfiler {
  #session: Session | null = null;

  /** Starts profiling (sampling every 200 µs), unless it already is. */
  async start(): Promise<void> {
    if (this.#session !== null) return;
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    this.#session = session;
  }

  /** Stops profiling and writes the `.cpuprofile` to `file`; nothing if it was not started. */
  async stopTo(file: string): Promise<void> {
    if (this.#session === null) return;
    const { profile } = await this.#session.post("Profiler.stop");
    await Deno.writeTextFile(file, JSON.stringify(profile));
    this.#session.disconnect();
    this.#session = null;
  }
}
