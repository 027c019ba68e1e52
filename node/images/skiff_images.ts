/**
 * skiff's own images, made from a static busybox binary because no registry is reachable from
 * the machines skiff runs on: the pod sandbox ("pause") image and a busybox image for workloads.
 * `scripts/build_images.ts` writes them as OCI archives for `<data-dir>/agent/images/`.
 *
 * The pause process is a busybox `sh` as the sandbox's PID 1: it sleeps, reaps whatever is
 * re-parented to it, and exits 0 on SIGTERM or SIGINT.
 *
 * @example Describe the pause image for this machine
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { ociArchitecture, pauseImage } from "./skiff_images.ts";
 *
 * const image = pauseImage({ busybox: "/usr/bin/busybox", architecture: ociArchitecture() });
 * equal(image.name, "docker.io/skiff/pause:3.9");
 * ```
 *
 * @module
 */
import type { ImageFile, OciArchitecture, OciImage } from "./oci_archive.ts";

/** The sandbox image skiff configures containerd with. */
export const PAUSE_IMAGE = "docker.io/skiff/pause:3.9";
/** The busybox image skiff's tests and examples run (`image: skiff/busybox:1.36`). */
export const BUSYBOX_IMAGE = "docker.io/skiff/busybox:1.36";

/**
 * The applets the busybox image links when the caller gives none: the shell, the network tools
 * tests use (`httpd`, `nc`, `wget`, `nslookup`, `ping`, `ip`) and the common file and text tools.
 */
export const DEFAULT_BUSYBOX_APPLETS: readonly string[] = (
  "[ [[ ash awk base64 basename cat chmod chown cp cut date dd df dirname du echo env expr " +
  "false find grep gunzip gzip head hostname httpd id ip kill ln ls md5sum mkdir mkfifo " +
  "mktemp mv nc netstat nslookup ping printenv printf ps pwd readlink rm rmdir sed seq sh " +
  "sha256sum sleep sort stat tail tar tee test timeout top touch tr true uname uniq uptime " +
  "vi wc wget which whoami xargs yes"
).split(" ");

/** Options of {@linkcode pauseImage} and {@linkcode busyboxImage}. */
export interface SkiffImageOptions {
  /** The static busybox binary: a path on the build machine or its bytes. */
  readonly busybox: string | Uint8Array;
  readonly architecture: OciArchitecture;
  /** Applets linked into `/bin` (busybox image only). @default {DEFAULT_BUSYBOX_APPLETS} */
  readonly applets?: readonly string[];
  /** Recorded as the image's `org.opencontainers.image.version` label. */
  readonly busyboxVersion?: string;
  /** @default {0} */
  readonly epochSec?: number;
}

/**
 * The pause program. `wait` returns as soon as a trapped signal arrives, so the trap runs at
 * once; the shell reaps any child that exits while it waits, orphans included.
 */
export const PAUSE_SCRIPT = `#!/bin/sh
# skiff pause: hold the pod's namespaces until SIGTERM or SIGINT.
# $! is set as the & command forks, so the trap always kills the current sleep.
trap 'kill $! 2>/dev/null; exit 0' TERM INT
while :; do
  sleep 2147483647 &
  wait $!
done
`;

const ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];
const CREATED_BY = "skiff scripts/build_images.ts";

function busyboxFile(options: SkiffImageOptions): ImageFile {
  return typeof options.busybox === "string"
    ? { kind: "file", path: "/bin/busybox", mode: 0o755, source: options.busybox }
    : { kind: "file", path: "/bin/busybox", mode: 0o755, content: options.busybox };
}

function applet(name: string): ImageFile {
  if (name === "" || name.includes("/") || name === "." || name === "..") {
    throw new TypeError(`Cannot link busybox applet "${name}": not a file name`);
  }
  return { kind: "symlink", path: `/bin/${name}`, target: "busybox" };
}

type CommonFields = Pick<OciImage, "architecture" | "env" | "createdBy" | "epochSec" | "labels">;

function common(options: SkiffImageOptions): CommonFields {
  return {
    architecture: options.architecture,
    env: ENV,
    createdBy: CREATED_BY,
    ...(options.epochSec === undefined ? {} : { epochSec: options.epochSec }),
    ...(options.busyboxVersion === undefined
      ? {}
      : { labels: { "org.opencontainers.image.version": options.busyboxVersion } }),
  };
}

/** The pause image: busybox, `/bin/sh`, `/bin/sleep` and the `/pause` script as entrypoint. */
export function pauseImage(options: SkiffImageOptions): OciImage {
  return {
    name: PAUSE_IMAGE,
    ...common(options),
    files: [
      busyboxFile(options),
      applet("sh"),
      applet("sleep"),
      { kind: "file", path: "/pause", mode: 0o755, content: PAUSE_SCRIPT },
    ],
    entrypoint: ["/pause"],
    workingDir: "/",
  };
}

/** The busybox image: `/bin/<applet>` links to busybox, a root user, `/tmp`, and `sh` as Cmd. */
export function busyboxImage(options: SkiffImageOptions): OciImage {
  const applets = [...new Set(options.applets ?? DEFAULT_BUSYBOX_APPLETS)]
    .filter((name) => name !== "busybox");
  return {
    name: BUSYBOX_IMAGE,
    ...common(options),
    files: [
      busyboxFile(options),
      ...applets.map(applet),
      { kind: "symlink", path: "/usr/bin/env", target: "../../bin/busybox" },
      { kind: "directory", path: "/tmp", mode: 0o1777 },
      { kind: "directory", path: "/root", mode: 0o700 },
      { kind: "directory", path: "/home" },
      { kind: "directory", path: "/var/www" },
      { kind: "directory", path: "/dev" },
      { kind: "directory", path: "/proc" },
      { kind: "directory", path: "/sys" },
      {
        kind: "file",
        path: "/etc/passwd",
        content: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
      },
      { kind: "file", path: "/etc/group", content: "root:x:0:\nnobody:x:65534:\n" },
    ],
    cmd: ["sh"],
  };
}

/** The OCI architecture of `arch` (Deno's `Deno.build.arch` by default). */
export function ociArchitecture(arch: string = Deno.build.arch): OciArchitecture {
  switch (arch) {
    case "x86_64":
    case "amd64":
      return "amd64";
    case "aarch64":
    case "arm64":
      return "arm64";
    default:
      throw new RangeError(`Cannot build images for architecture "${arch}": only amd64 and arm64`);
  }
}
