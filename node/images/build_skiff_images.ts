/**
 * Builds skiff's own container images from Debian's static busybox (`busybox-static`), because
 * no registry is reachable from the machines skiff runs on: `pause.tar`
 * (`docker.io/skiff/pause:3.9`, the pod sandbox image) and `busybox.tar`
 * (`docker.io/skiff/busybox:1.36`, busybox with every applet it has in `/bin`). Both are OCI
 * image layout archives for this machine's architecture, written atomically (a temporary file
 * renamed into place) so an agent watching the directory never sees half a file. The same
 * busybox binary and epoch give byte-identical archives. `scripts/build_images.ts`
 * (`deno task images`) and the agent (which builds them into `<data-dir>/agent/images/` when
 * they are missing) both use it.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../control/util/atomic_file.ts";
import { buildOciArchive, type OciArchive } from "./oci_archive.ts";
import {
  busyboxImage,
  ociArchitecture,
  pauseImage,
  type SkiffImageOptions,
} from "./skiff_images.ts";

/** Options of {@linkcode buildSkiffImages}. */
export interface BuildSkiffImagesOptions {
  /** Directory the archives are written to (created if missing). */
  readonly outDir: string;
  /** @default {"/usr/bin/busybox"} */
  readonly busybox?: string;
  /** Must match the busybox binary's. @default {the binary's architecture} */
  readonly architecture?: string;
  /** @default {0} */
  readonly epochSec?: number;
}

/** One archive {@linkcode buildSkiffImages} wrote. */
export interface BuiltImage {
  readonly file: string;
  readonly archive: OciArchive;
}

const DEFAULT_BUSYBOX = "/usr/bin/busybox";

async function runBusybox(busybox: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(busybox, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot run "${busybox} ${args.join(" ")}": exit code ${out.code}: ${stderr}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** ELF `e_machine` values of the architectures skiff builds for. */
const ELF_MACHINES: Readonly<Record<number, string>> = { 0x3e: "amd64", 0xb7: "arm64" };

/** Checks `busybox` is a static ELF executable and returns its architecture. */
async function checkBusybox(busybox: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(busybox);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot build images: "${busybox}" does not exist; install Debian's busybox-static ` +
          "(scripts/setup.sh does) or pass --busybox PATH",
      );
    }
    throw err;
  }
  if (!info.isFile) throw new Error(`Cannot build images: "${busybox}" is not a file`);
  // A dynamically linked busybox would need its libraries in the image: refuse it.
  const head = new Uint8Array(4096);
  const file = await Deno.open(busybox, { read: true });
  let n: number | null;
  try {
    n = await file.read(head);
  } finally {
    file.close();
  }
  const text = new TextDecoder("latin1").decode(head.subarray(0, n ?? 0));
  if (!text.startsWith("\x7fELF")) {
    throw new Error(`Cannot build images: "${busybox}" is not an ELF executable`);
  }
  if (text.includes("/lib64/ld-linux") || text.includes("/lib/ld-linux")) {
    throw new Error(
      `Cannot build images: "${busybox}" is dynamically linked; use Debian's busybox-static`,
    );
  }
  const machine = new DataView(head.buffer).getUint16(18, true);
  const arch = ELF_MACHINES[machine];
  if (arch === undefined) {
    throw new Error(
      `Cannot build images: "${busybox}" is for ELF machine ${machine}, not amd64 or arm64`,
    );
  }
  return arch;
}

/** Builds `pause.tar` and `busybox.tar` into `options.outDir`. */
export async function buildSkiffImages(options: BuildSkiffImagesOptions): Promise<BuiltImage[]> {
  const busybox = options.busybox ?? DEFAULT_BUSYBOX;
  const binaryArch = await checkBusybox(busybox);
  const architecture = ociArchitecture(options.architecture ?? binaryArch);
  if (architecture !== binaryArch) {
    throw new Error(
      `Cannot build ${architecture} images: "${busybox}" is an ${binaryArch} executable`,
    );
  }
  const version = (await runBusybox(busybox, [])).match(/^BusyBox v(\S+)/)?.[1];
  const applets = (await runBusybox(busybox, ["--list"])).split("\n").filter((a) => a !== "");
  const imageOptions: SkiffImageOptions = {
    busybox,
    architecture,
    applets,
    epochSec: options.epochSec ?? 0,
    ...(version === undefined ? {} : { busyboxVersion: version }),
  };
  await mkdir(options.outDir, { recursive: true });
  const built: BuiltImage[] = [];
  for (
    const [fileName, image] of [
      ["pause.tar", pauseImage(imageOptions)],
      ["busybox.tar", busyboxImage(imageOptions)],
    ] as const
  ) {
    const archive = await buildOciArchive(image);
    const file = join(options.outDir, fileName);
    await writeFileAtomic(file, { data: archive.bytes, mode: 0o644 });
    built.push({ file, archive });
  }
  return built;
}
