/**
 * Kernel settings the plugin needs (`net.ipv4.ip_forward`): {@linkcode CniSysctl}, and
 * {@linkcode ProcCniSysctl} through `/proc/sys`, which shows the settings of the calling
 * process's network namespace.
 *
 * @module
 */

/** Reads and writes kernel settings by dotted key (`net.ipv4.ip_forward`). */
export interface CniSysctl {
  get(key: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

/** {@linkcode CniSysctl} over `/proc/sys`. */
export class ProcCniSysctl implements CniSysctl {
  readonly #root: string;

  constructor(options: { readonly root?: string } = {}) {
    this.#root = options.root ?? "/proc/sys";
  }

  #path(key: string): string {
    if (!/^[a-z0-9_.-]+$/i.test(key)) throw new TypeError(`Invalid sysctl key "${key}"`);
    return `${this.#root}/${key.replaceAll(".", "/")}`;
  }

  async get(key: string): Promise<string> {
    return (await Deno.readTextFile(this.#path(key))).trim();
  }

  async set(key: string, value: string): Promise<void> {
    try {
      await Deno.writeTextFile(this.#path(key), value);
    } catch (err) {
      throw new Error(`Cannot set sysctl "${key}" to "${value}"`, { cause: err });
    }
  }
}
