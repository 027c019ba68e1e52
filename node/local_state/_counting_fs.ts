/**
 * A {@linkcode StateFs} for tests: the real one, with every write, removal and directory sync
 * recorded, and writes that fail on request.
 *
 * @module
 */
import { DenoStateFs, type StateFs } from "./state_fs.ts";

/** Records the calls that change the disk. */
export class CountingFs implements StateFs {
  readonly #real = new DenoStateFs();
  /** The paths written, in order. */
  readonly writes: string[] = [];
  /** The paths removed, in order. */
  readonly removes: string[] = [];
  /** The directories synced, in order. */
  readonly syncs: string[] = [];
  /** When set, writes of paths it matches throw. */
  failWrites: ((path: string) => boolean) | undefined;

  mkdir(dir: string, mode: number): Promise<void> {
    return this.#real.mkdir(dir, mode);
  }

  readDir(dir: string): Promise<string[]> {
    return this.#real.readDir(dir);
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#real.readFile(path);
  }

  async writeFile(path: string, data: Uint8Array, mode: number): Promise<void> {
    if (this.failWrites?.(path)) {
      throw new Deno.errors.PermissionDenied(`injected failure of ${path}`);
    }
    this.writes.push(path);
    await this.#real.writeFile(path, data, mode);
  }

  async remove(path: string): Promise<void> {
    this.removes.push(path);
    await this.#real.remove(path);
  }

  async syncDir(dir: string): Promise<void> {
    this.syncs.push(dir);
    await this.#real.syncDir(dir);
  }

  /** Forgets what was recorded. */
  reset(): void {
    this.writes.length = 0;
    this.removes.length = 0;
    this.syncs.length = 0;
  }
}
