/**
 * A tiny read-only OCI distribution registry for tests, on 127.0.0.1: `GET/HEAD /v2/`,
 * `/v2/<name>/manifests/<tag or digest>` and `/v2/<name>/blobs/<digest>`, with the right
 * `Content-Type`, `Content-Length` and `Docker-Content-Digest`; plain HTTP or HTTPS (a
 * certificate from a CA of its own, see {@linkcode OciRegistry.caPem}); optional basic auth
 * (401 with `WWW-Authenticate: Basic realm=…`). It serves OCI image layout archives, as
 * `node/images/build_skiff_images.ts` writes them (see {@linkcode skiffBusyboxArchive}), and
 * records every request.
 *
 * @module
 */
import { buildOciArchive } from "../../node/images/oci_archive.ts";
import { busyboxImage, ociArchitecture } from "../../node/images/skiff_images.ts";
import { createCa, issueCertificate } from "../../control/util/x509/certificates.ts";

/** One image to serve: an OCI layout tar as `<repository>:<tag>`. */
export interface RegistryImage {
  /** The repository, e.g. `skiff/busybox`. */
  readonly repository: string;
  readonly tag: string;
  /** An OCI image layout tar (`index.json`, `blobs/sha256/…`). */
  readonly archive: Uint8Array;
}

/** Options of {@linkcode startOciRegistry}. */
export interface OciRegistryOptions {
  readonly images: readonly RegistryImage[];
  /** Require these basic-auth credentials on every `/v2/` request. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
  /** Serve HTTPS with a certificate for 127.0.0.1 and localhost. @default {false} */
  readonly tls?: boolean;
}

/** A request the registry answered. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/v2/skiff/busybox/manifests/1.36?ns=docker.io`. */
  readonly path: string;
  readonly status: number;
  /** Whether it carried an Authorization header. */
  readonly authorized: boolean;
}

/** A running registry. */
export interface OciRegistry extends AsyncDisposable {
  /** `127.0.0.1:<port>`: the registry part of image names. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` or `https://…`. */
  readonly url: string;
  /** The CA (PEM) of an HTTPS registry's certificate. */
  readonly caPem?: string;
  readonly requests: readonly RecordedRequest[];
  /** Manifest requests (GET or HEAD) for `repository`. */
  manifestRequests(repository: string): RecordedRequest[];
  close(): Promise<void>;
}

interface Blob {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

interface Repository {
  /** tag → manifest digest */
  readonly tags: Map<string, string>;
  /** digest → manifest or blob */
  readonly blobs: Map<string, Blob>;
}

const decoder = new TextDecoder();

/** The files of a ustar archive (regular files only). */
function untar(archive: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (from: number, length: number) =>
    decoder.decode(archive.subarray(from, from + length)).replace(/\0.*$/s, "");
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const name = text(offset, 100);
    if (name === "") break;
    const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
    const type = text(offset + 156, 1);
    const prefix = text(offset + 345, 155);
    const path = (prefix === "" ? name : `${prefix}/${name}`).replace(/^\.\//, "");
    if (type === "0" || type === "") {
      files.set(path, archive.subarray(offset + 512, offset + 512 + size));
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Loads an OCI layout archive's manifest (the first of its index) and blobs. */
async function loadImage(image: RegistryImage, repo: Repository): Promise<void> {
  const files = untar(image.archive);
  const indexBytes = files.get("index.json");
  if (indexBytes === undefined) {
    throw new TypeError(`Cannot serve image "${image.repository}:${image.tag}": no index.json`);
  }
  const index = JSON.parse(decoder.decode(indexBytes)) as {
    manifests?: { digest: string; mediaType: string }[];
  };
  const top = index.manifests?.[0];
  if (top === undefined) {
    throw new TypeError(`Cannot serve image "${image.repository}:${image.tag}": empty index`);
  }
  const blob = (digest: string): Uint8Array => {
    const bytes = files.get(`blobs/sha256/${digest.slice("sha256:".length)}`);
    if (bytes === undefined) {
      throw new TypeError(
        `Cannot serve image "${image.repository}:${image.tag}": no blob ${digest}`,
      );
    }
    return bytes;
  };
  const manifestBytes = blob(top.digest);
  if (await sha256(manifestBytes) !== top.digest) {
    throw new TypeError(`Cannot serve image "${image.repository}:${image.tag}": bad digest`);
  }
  const manifest = JSON.parse(decoder.decode(manifestBytes)) as {
    config: { digest: string; mediaType: string };
    layers: { digest: string; mediaType: string }[];
  };
  repo.blobs.set(top.digest, { bytes: manifestBytes, mediaType: top.mediaType });
  for (const part of [manifest.config, ...manifest.layers]) {
    repo.blobs.set(part.digest, { bytes: blob(part.digest), mediaType: part.mediaType });
  }
  repo.tags.set(image.tag, top.digest);
}

function errorResponse(status: number, code: string, message: string, headers = {}): Response {
  return new Response(JSON.stringify({ errors: [{ code, message }] }), {
    status,
    headers: {
      "Content-Type": "application/json",
      "Docker-Distribution-API-Version": "registry/2.0",
      ...headers,
    },
  });
}

/** Starts a registry serving `options.images` on a free port of 127.0.0.1. */
export async function startOciRegistry(options: OciRegistryOptions): Promise<OciRegistry> {
  const repos = new Map<string, Repository>();
  for (const image of options.images) {
    let repo = repos.get(image.repository);
    if (repo === undefined) {
      repo = { tags: new Map(), blobs: new Map() };
      repos.set(image.repository, repo);
    }
    await loadImage(image, repo);
  }
  const expected = options.basicAuth
    ? `Basic ${btoa(`${options.basicAuth.username}:${options.basicAuth.password}`)}`
    : undefined;
  const requests: RecordedRequest[] = [];

  const handle = (req: Request): Response => {
    const url = new URL(req.url);
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      return errorResponse(405, "UNSUPPORTED", "this registry is read-only");
    }
    if (expected !== undefined && req.headers.get("authorization") !== expected) {
      return errorResponse(401, "UNAUTHORIZED", "authentication required", {
        "WWW-Authenticate": 'Basic realm="skiff-test-registry"',
      });
    }
    if (url.pathname === "/v2/" || url.pathname === "/v2") {
      return new Response(head ? null : "{}", {
        headers: {
          "Content-Type": "application/json",
          "Docker-Distribution-API-Version": "registry/2.0",
        },
      });
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (match === null) return errorResponse(404, "NOT_FOUND", "no such endpoint");
    const [, name, kind, ref] = match as unknown as [string, string, string, string];
    const repo = repos.get(name);
    if (repo === undefined) {
      return errorResponse(404, "NAME_UNKNOWN", `repository name not known to registry`);
    }
    const digest = ref.startsWith("sha256:")
      ? ref
      : kind === "manifests"
      ? repo.tags.get(ref)
      : undefined;
    const blob = digest === undefined ? undefined : repo.blobs.get(digest);
    if (digest === undefined || blob === undefined) {
      return kind === "manifests"
        ? errorResponse(404, "MANIFEST_UNKNOWN", "manifest unknown")
        : errorResponse(404, "BLOB_UNKNOWN", "blob unknown to registry");
    }
    return new Response(head ? null : blob.bytes as BodyInit, {
      headers: {
        "Content-Type": kind === "manifests" ? blob.mediaType : "application/octet-stream",
        "Content-Length": String(blob.bytes.length),
        "Docker-Content-Digest": digest,
        "Docker-Distribution-API-Version": "registry/2.0",
      },
    });
  };

  let caPem: string | undefined;
  let tls: { cert: string; key: string } | undefined;
  if (options.tls) {
    const now = new Date();
    const ca = await createCa({ commonName: "skiff-test-registry-ca", now });
    const leaf = await issueCertificate(ca, {
      commonName: "skiff-test-registry",
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      now,
    });
    caPem = ca.certPem;
    tls = { cert: leaf.certPem, key: leaf.keyPem };
  }
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(tls ?? {}),
    onListen: ({ port }) => resolve(port),
  }, (req) => {
    const res = handle(req);
    const url = new URL(req.url);
    requests.push({
      method: req.method,
      path: url.pathname + url.search,
      status: res.status,
      authorized: req.headers.has("authorization"),
    });
    return res;
  });
  const port = await listening;
  const host = `127.0.0.1:${port}`;
  const close = async () => {
    await server.shutdown();
  };
  return {
    host,
    port,
    url: `${tls ? "https" : "http"}://${host}`,
    ...(caPem !== undefined ? { caPem } : {}),
    requests,
    manifestRequests: (repository: string) =>
      requests.filter((r) => r.path.startsWith(`/v2/${repository}/manifests/`)),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** skiff's busybox image (from `/usr/bin/busybox`) as an OCI layout archive named `name`. */
export async function skiffBusyboxArchive(
  name: string,
  options: { readonly busybox?: string } = {},
): Promise<Uint8Array> {
  const image = busyboxImage({
    busybox: options.busybox ?? "/usr/bin/busybox",
    architecture: ociArchitecture(),
  });
  return (await buildOciArchive({ ...image, name })).bytes;
}
