/**
 * Builds a single-layer container image as an OCI image layout tar (`oci-layout`, `index.json`,
 * `blobs/sha256/…`): a gzip'd rootfs layer, the image config and the manifest. The index entry
 * carries both `io.containerd.image.name` (so `ctr images import` names the image) and
 * `org.opencontainers.image.ref.name` (the tag, for other OCI tools).
 *
 * The build is deterministic: entries are sorted, missing parent directories are added, owners
 * are root and every time is {@linkcode OciImage.epochSec}, so the same inputs give the same
 * digests.
 *
 * @example Build a one-file image
 * ```ts
 * import { match } from "node:assert/strict";
 * import { buildOciArchive } from "./oci_archive.ts";
 *
 * const archive = await buildOciArchive({
 *   name: "example/hello:1",
 *   architecture: "amd64",
 *   files: [{ kind: "file", path: "/hello.txt", content: "hi\n" }],
 *   cmd: ["/hello"],
 * });
 * match(archive.manifestDigest, /^sha256:[0-9a-f]{64}$/);
 * ```
 *
 * @module
 */
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { parseImageReference } from "./image_reference.ts";
import { type TarEntry, writeTar } from "./tar_writer.ts";

/** A file of an image's root filesystem. */
export type ImageFile = ImageRegularFile | ImageDirectory | ImageSymlink;

/** A regular file, from bytes or text (`content`) or read from the build machine (`source`). */
export type ImageRegularFile =
  & {
    readonly kind: "file";
    /** Absolute path inside the image, e.g. `/bin/busybox`. */
    readonly path: string;
    /** @default {0o644} */
    readonly mode?: number;
  }
  & ({ readonly content: Uint8Array | string } | { readonly source: string });

/** A directory (parents of files are added without one; list it to set its mode). */
export interface ImageDirectory {
  readonly kind: "directory";
  readonly path: string;
  /** @default {0o755} */
  readonly mode?: number;
}

/** A symbolic link. */
export interface ImageSymlink {
  readonly kind: "symlink";
  readonly path: string;
  readonly target: string;
}

/** The architectures skiff builds images for (OCI `GOARCH` names). */
export type OciArchitecture = "amd64" | "arm64";

/** What {@linkcode buildOciArchive} builds. */
export interface OciImage {
  /** The image reference; normalised, e.g. `skiff/pause:3.9` → `docker.io/skiff/pause:3.9`. */
  readonly name: string;
  readonly architecture: OciArchitecture;
  /** @default {"linux"} */
  readonly os?: string;
  /** The platform variant, e.g. `v8` for arm64. */
  readonly variant?: string;
  readonly files: readonly ImageFile[];
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `KEY=value` entries. @default {[`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`]} */
  readonly env?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Time of every file and of the config's `created`, in seconds. @default {0} */
  readonly epochSec?: number;
  /** Shown in the config's history. @default {"skiff"} */
  readonly createdBy?: string;
}

/** A built archive and the digests inside it. */
export interface OciArchive {
  /** The tar of the OCI image layout. */
  readonly bytes: Uint8Array;
  /** The normalised image reference the index names. */
  readonly name: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  /** Digest of the gzip'd layer blob. */
  readonly layerDigest: string;
  /** Digest of the uncompressed layer tar (the config's `rootfs.diff_ids[0]`). */
  readonly diffId: string;
}

/** OCI media types and annotation keys. */
export const OCI_MEDIA_TYPES = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** containerd names an imported image after this index annotation. */
export const CONTAINERD_IMAGE_NAME_ANNOTATION = "io.containerd.image.name";
/** The OCI image layout's reference name annotation. */
export const OCI_REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

const DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];
const GZIP_LEVEL = 9;
const gzipAsync = promisify(gzip);
const encoder = new TextEncoder();

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** `/a//b/` → `a/b`; rejects `.`/`..` components and the root itself. */
function layerPath(image: string, path: string): string {
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.length === 0 || parts.some((p) => p === "." || p === "..")) {
    throw new TypeError(
      `Cannot build image "${image}": file path "${path}" must name something below "/"`,
    );
  }
  return parts.join("/");
}

async function layerEntries(image: OciImage): Promise<TarEntry[]> {
  const mtimeSec = image.epochSec ?? 0;
  const byPath = new Map<string, TarEntry>();
  for (const file of image.files) {
    const path = layerPath(image.name, file.path);
    if (byPath.has(path)) {
      throw new TypeError(`Cannot build image "${image.name}": file "/${path}" is listed twice`);
    }
    let entry: TarEntry;
    if (file.kind === "directory") {
      entry = { kind: "directory", path, mode: file.mode ?? 0o755, mtimeSec };
    } else if (file.kind === "symlink") {
      entry = { kind: "symlink", path, target: file.target, mtimeSec };
    } else {
      let content: Uint8Array | string;
      if ("source" in file) {
        try {
          content = await Deno.readFile(file.source);
        } catch (err) {
          throw new Error(
            `Cannot build image "${image.name}": cannot read "${file.source}" for "/${path}"`,
            { cause: err },
          );
        }
      } else {
        content = file.content;
      }
      entry = { kind: "file", path, content, mode: file.mode ?? 0o644, mtimeSec };
    }
    byPath.set(path, entry);
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const existing = byPath.get(parent);
      if (existing === undefined) {
        byPath.set(parent, { kind: "directory", path: parent, mode: 0o755, mtimeSec });
      } else if (existing.kind !== "directory") {
        throw new TypeError(
          `Cannot build image "${image.name}": "/${parent}" is a ${existing.kind}, not a directory of "/${path}"`,
        );
      }
    }
  }
  // A parent path is a prefix of its children's, so sorting puts it first.
  return [...byPath.values()].sort((a, b) => compare(sortKey(a), sortKey(b)));
}

function sortKey(entry: TarEntry): string {
  return entry.kind === "directory" ? `${entry.path}/` : entry.path;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Builds `image` as an OCI image layout tar (see the module documentation). */
export async function buildOciArchive(image: OciImage): Promise<OciArchive> {
  const ref = parseImageReference(image.name);
  if (ref.tag === undefined) {
    throw new TypeError(`Cannot build image "${image.name}": the name needs a tag, not a digest`);
  }
  const epochSec = image.epochSec ?? 0;
  const created = new Date(epochSec * 1000).toISOString().replace(".000Z", "Z");
  const os = image.os ?? "linux";

  const layerTar = writeTar(await layerEntries(image));
  const diffId = await sha256(layerTar);
  const layer = new Uint8Array(await gzipAsync(layerTar, { level: GZIP_LEVEL }));
  const layerDigest = await sha256(layer);

  const containerConfig: Record<string, unknown> = { Env: [...(image.env ?? DEFAULT_ENV)] };
  if (image.entrypoint) containerConfig.Entrypoint = [...image.entrypoint];
  if (image.cmd) containerConfig.Cmd = [...image.cmd];
  if (image.workingDir !== undefined) containerConfig.WorkingDir = image.workingDir;
  if (image.user !== undefined) containerConfig.User = image.user;
  if (image.labels) containerConfig.Labels = { ...image.labels };
  const config = json({
    created,
    architecture: image.architecture,
    os,
    ...(image.variant === undefined ? {} : { variant: image.variant }),
    config: containerConfig,
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created, created_by: image.createdBy ?? "skiff" }],
  });
  const configDigest = await sha256(config);

  const manifest = json({
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.manifest,
    config: { mediaType: OCI_MEDIA_TYPES.config, digest: configDigest, size: config.length },
    layers: [{ mediaType: OCI_MEDIA_TYPES.layerGzip, digest: layerDigest, size: layer.length }],
  });
  const manifestDigest = await sha256(manifest);

  const index = json({
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.index,
    manifests: [{
      mediaType: OCI_MEDIA_TYPES.manifest,
      digest: manifestDigest,
      size: manifest.length,
      annotations: {
        [CONTAINERD_IMAGE_NAME_ANNOTATION]: ref.name,
        [OCI_REF_NAME_ANNOTATION]: ref.tag,
      },
      platform: {
        architecture: image.architecture,
        os,
        ...(image.variant === undefined ? {} : { variant: image.variant }),
      },
    }],
  });

  const blobs = new Map<string, Uint8Array>([
    [layerDigest, layer],
    [configDigest, config],
    [manifestDigest, manifest],
  ]);
  const entries: TarEntry[] = [
    { kind: "directory", path: "blobs", mtimeSec: epochSec },
    { kind: "directory", path: "blobs/sha256", mtimeSec: epochSec },
    ...[...blobs.keys()].sort().map((digest): TarEntry => ({
      kind: "file",
      path: `blobs/sha256/${digest.slice("sha256:".length)}`,
      content: blobs.get(digest)!,
      mtimeSec: epochSec,
    })),
    { kind: "file", path: "index.json", content: index, mtimeSec: epochSec },
    {
      kind: "file",
      path: "oci-layout",
      content: '{"imageLayoutVersion":"1.0.0"}',
      mtimeSec: epochSec,
    },
  ];
  return {
    bytes: writeTar(entries),
    name: ref.name,
    manifestDigest,
    configDigest,
    layerDigest,
    diffId,
  };
}
