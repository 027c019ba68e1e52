// deno-lint-ignore-file no-console
/**
 * Builds skiff's own container images from Debian's static busybox (`busybox-static`), because
 * no registry is reachable from the machines skiff runs on:
 *
 * - `pause.tar`: `docker.io/skiff/pause:3.9`, the pod sandbox image;
 * - `busybox.tar`: `docker.io/skiff/busybox:1.36`, busybox with every applet it has in `/bin`.
 *
 * Both are OCI image layout archives for this machine's architecture, written atomically (a
 * temporary file renamed into place) so an agent watching the directory never sees half a file.
 * The same busybox binary and epoch give byte-identical archives.
 *
 * Usage: `deno run -A scripts/build_images.ts [--out DIR] [--busybox PATH] [--arch amd64|arm64]
 * [--epoch SECONDS]`. `--out` defaults to `<repo>/dist/images`; copy (or build straight) into
 * `<data-dir>/agent/images/` to have the agent import them. `--epoch` defaults to
 * `$SOURCE_DATE_EPOCH`, else 0.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildSkiffImages } from "../node/images/build_skiff_images.ts";

function parseEpoch(value: string | undefined): number {
  const raw = value ?? Deno.env.get("SOURCE_DATE_EPOCH") ?? "0";
  if (!/^\d+$/.test(raw)) throw new TypeError(`Cannot use epoch "${raw}": not whole seconds`);
  return Number(raw);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      busybox: { type: "string" },
      arch: { type: "string" },
      epoch: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno run -A scripts/build_images.ts [--out DIR] [--busybox PATH] " +
        "[--arch amd64|arm64] [--epoch SECONDS]",
    );
    Deno.exit(0);
  }
  try {
    const built = await buildSkiffImages({
      outDir: values.out ?? fileURLToPath(new URL("../dist/images", import.meta.url)),
      ...(values.busybox === undefined ? {} : { busybox: values.busybox }),
      ...(values.arch === undefined ? {} : { architecture: values.arch }),
      epochSec: parseEpoch(values.epoch),
    });
    for (const { file, archive } of built) {
      console.log(
        `${file}: ${archive.name} ${archive.manifestDigest} (${archive.bytes.length} bytes)`,
      );
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
}
