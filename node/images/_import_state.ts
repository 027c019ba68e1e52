/**
 * The image importer's memory of what it imported: per archive file name, the size and
 * modification time it had and the image names containerd reported, kept in a small JSON file
 * that is rewritten (atomically) only when its content changes.
 *
 * @module
 */
import { writeFileAtomic } from "../../control/util/atomic_file.ts";

/** What was imported from one archive file. */
export interface ImportedArchive {
  readonly size: number;
  readonly mtimeMs: number;
  /** Image names `ctr images import` reported, e.g. `docker.io/skiff/pause:3.9`. */
  readonly images: readonly string[];
}

const STATE_VERSION = 1;

function isImportedArchive(value: unknown): value is ImportedArchive {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.size === "number" && typeof v.mtimeMs === "number" &&
    Array.isArray(v.images) && v.images.every((i) => typeof i === "string");
}

/** The state file: loaded once, saved when it changed. */
export class ImportState {
  readonly #path: string;
  readonly #files = new Map<string, ImportedArchive>();
  #saved = "";

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * Reads the state file. A missing file is an empty state; an unreadable or malformed one is
   * too (everything is imported again), reported through the returned error.
   */
  async load(): Promise<Error | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      return new Error(`Cannot read image import state "${this.#path}"`, { cause: err });
    }
    this.#saved = text;
    try {
      const parsed = JSON.parse(text) as { version?: unknown; files?: unknown };
      if (parsed.version !== STATE_VERSION || typeof parsed.files !== "object" || !parsed.files) {
        throw new SyntaxError(`expected version ${STATE_VERSION} with a files object`);
      }
      for (const [name, entry] of Object.entries(parsed.files)) {
        if (isImportedArchive(entry)) this.#files.set(name, entry);
      }
      return undefined;
    } catch (err) {
      return new Error(`Cannot parse image import state "${this.#path}"`, { cause: err });
    }
  }

  get(name: string): ImportedArchive | undefined {
    return this.#files.get(name);
  }

  names(): string[] {
    return [...this.#files.keys()];
  }

  set(name: string, entry: ImportedArchive): void {
    this.#files.set(name, entry);
  }

  delete(name: string): void {
    this.#files.delete(name);
  }

  /** Writes the file if its content would change; returns whether it wrote. */
  async save(): Promise<boolean> {
    const files: Record<string, ImportedArchive> = {};
    for (const name of [...this.#files.keys()].sort()) {
      const e = this.#files.get(name)!;
      files[name] = { size: e.size, mtimeMs: e.mtimeMs, images: [...e.images] };
    }
    const text = `${JSON.stringify({ version: STATE_VERSION, files }, null, 2)}\n`;
    if (text === this.#saved) return false;
    if (this.#files.size === 0 && this.#saved === "") return false;
    await writeFileAtomic(this.#path, { data: text, mode: 0o644 });
    this.#saved = text;
    return true;
  }
}
