import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { readTar, type ReadTarEntry } from "./_tar_reader.ts";
import { buildOciArchive, type OciArchive, type OciImage } from "./oci_archive.ts";

const decoder = new TextDecoder();

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Record<string, string>;
}

/** The archive parsed back: the layout's files by path, and the JSON documents. */
function parse(archive: OciArchive) {
  const entries = readTar(archive.bytes);
  const files = new Map<string, ReadTarEntry>(entries.map((e) => [e.path, e]));
  function blob(digest: string): Uint8Array {
    const entry = files.get(`blobs/sha256/${digest.slice("sha256:".length)}`);
    assert.ok(entry, `blob ${digest} is in the archive`);
    assert.equal(sha256(entry.content), digest, "blob content matches its digest");
    return entry.content;
  }
  const index = JSON.parse(decoder.decode(files.get("index.json")!.content)) as {
    schemaVersion: number;
    mediaType: string;
    manifests: Descriptor[];
  };
  const manifestDescriptor = index.manifests[0]!;
  const manifestBytes = blob(manifestDescriptor.digest);
  assert.equal(manifestBytes.length, manifestDescriptor.size);
  const manifest = JSON.parse(decoder.decode(manifestBytes)) as {
    schemaVersion: number;
    mediaType: string;
    config: Descriptor;
    layers: Descriptor[];
  };
  const configBytes = blob(manifest.config.digest);
  assert.equal(configBytes.length, manifest.config.size);
  const config = JSON.parse(decoder.decode(configBytes));
  const layerBytes = blob(manifest.layers[0]!.digest);
  assert.equal(layerBytes.length, manifest.layers[0]!.size);
  const layerTar = new Uint8Array(gunzipSync(layerBytes));
  return { entries, files, index, manifest, config, layerTar, layer: readTar(layerTar) };
}

const BASE: OciImage = {
  name: "example/tool:2.1",
  architecture: "arm64",
  files: [
    { kind: "file", path: "/bin/tool", mode: 0o755, content: new Uint8Array([0x7f, 0x45]) },
    { kind: "symlink", path: "/bin/sh", target: "tool" },
    { kind: "directory", path: "/tmp", mode: 0o1777 },
    { kind: "file", path: "/etc/config/app.conf", content: "key=value\n" },
  ],
  entrypoint: ["/bin/tool"],
  cmd: ["--serve"],
  env: ["PATH=/bin", "MODE=test"],
  workingDir: "/tmp",
  user: "65534",
  labels: { "org.opencontainers.image.version": "2.1" },
  epochSec: 1_700_000_000,
};

Deno.test("buildOciArchive() writes an OCI layout whose descriptors match their blobs", async () => {
  const archive = await buildOciArchive(BASE);
  const { entries, files, index, manifest } = parse(archive);
  assert.deepEqual(entries.map((e) => e.path), [
    "blobs/",
    "blobs/sha256/",
    ...[archive.layerDigest, archive.configDigest, archive.manifestDigest]
      .map((d) => `blobs/sha256/${d.slice(7)}`).sort(),
    "index.json",
    "oci-layout",
  ]);
  assert.deepEqual(JSON.parse(decoder.decode(files.get("oci-layout")!.content)), {
    imageLayoutVersion: "1.0.0",
  });
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
  assert.equal(index.manifests.length, 1);
  assert.deepEqual(index.manifests[0]!.annotations, {
    "io.containerd.image.name": "docker.io/example/tool:2.1",
    "org.opencontainers.image.ref.name": "2.1",
  });
  assert.deepEqual(index.manifests[0]!.platform, { architecture: "arm64", os: "linux" });
  assert.equal(index.manifests[0]!.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(index.manifests[0]!.digest, archive.manifestDigest);
  assert.equal(manifest.schemaVersion, 2);
  assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.equal(manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
  assert.equal(manifest.config.digest, archive.configDigest);
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0]!.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
  assert.equal(manifest.layers[0]!.digest, archive.layerDigest);
  assert.equal(archive.name, "docker.io/example/tool:2.1");
  for (const entry of entries) {
    assert.equal(entry.mtimeSec, 1_700_000_000);
    assert.equal(entry.uid, 0);
  }
});

Deno.test("buildOciArchive() writes the image config with platform, process and rootfs", async () => {
  const archive = await buildOciArchive(BASE);
  const { config, layerTar } = parse(archive);
  assert.deepEqual(config, {
    created: "2023-11-14T22:13:20Z",
    architecture: "arm64",
    os: "linux",
    config: {
      Env: ["PATH=/bin", "MODE=test"],
      Entrypoint: ["/bin/tool"],
      Cmd: ["--serve"],
      WorkingDir: "/tmp",
      User: "65534",
      Labels: { "org.opencontainers.image.version": "2.1" },
    },
    rootfs: { type: "layers", diff_ids: [sha256(layerTar)] },
    history: [{ created: "2023-11-14T22:13:20Z", created_by: "skiff" }],
  });
  assert.equal(archive.diffId, sha256(layerTar));
});

Deno.test("buildOciArchive() sorts the layer, adds parent directories and keeps modes", async () => {
  const { layer } = parse(await buildOciArchive(BASE));
  assert.deepEqual(
    layer.map((e) => [e.path, e.type, e.mode.toString(8), e.linkTarget, e.mtimeSec]),
    [
      ["bin/", "5", "755", "", 1_700_000_000],
      ["bin/sh", "2", "777", "tool", 1_700_000_000],
      ["bin/tool", "0", "755", "", 1_700_000_000],
      ["etc/", "5", "755", "", 1_700_000_000],
      ["etc/config/", "5", "755", "", 1_700_000_000],
      ["etc/config/app.conf", "0", "644", "", 1_700_000_000],
      ["tmp/", "5", "1777", "", 1_700_000_000],
    ],
  );
  assert.equal(decoder.decode(layer[5]!.content), "key=value\n");
});

Deno.test("buildOciArchive() gives the same digests for the same inputs, others for others", async () => {
  const a = await buildOciArchive(BASE);
  const b = await buildOciArchive({ ...BASE, files: [...BASE.files].reverse() });
  assert.deepEqual(a.bytes, b.bytes, "file order does not matter");
  assert.equal(a.manifestDigest, b.manifestDigest);
  const later = await buildOciArchive({ ...BASE, epochSec: 1_700_000_001 });
  assert.notEqual(later.manifestDigest, a.manifestDigest);
  const otherCmd = await buildOciArchive({ ...BASE, cmd: ["--help"] });
  assert.equal(otherCmd.layerDigest, a.layerDigest, "same files, same layer");
  assert.notEqual(otherCmd.configDigest, a.configDigest);
});

Deno.test("buildOciArchive() defaults os, Env and times, and reads source files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/payload`, "from disk");
    const archive = await buildOciArchive({
      name: "localhost/minimal:1",
      architecture: "amd64",
      files: [{ kind: "file", path: "payload", source: `${dir}/payload` }],
    });
    const { config, layer, index } = parse(archive);
    assert.equal(config.created, "1970-01-01T00:00:00Z");
    assert.equal(config.os, "linux");
    assert.deepEqual(config.config, {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    });
    assert.equal(
      index.manifests[0]!.annotations!["io.containerd.image.name"],
      "localhost/minimal:1",
    );
    assert.deepEqual(layer.map((e) => [e.path, e.mode, decoder.decode(e.content)]), [
      ["payload", 0o644, "from disk"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildOciArchive() rejects images it cannot build", async (t) => {
  const cases: { name: string; image: OciImage; error: RegExp; type: ErrorConstructor }[] = [
    {
      name: "a file listed twice",
      image: {
        ...BASE,
        files: [
          { kind: "file", path: "/a", content: "1" },
          { kind: "file", path: "a", content: "2" },
        ],
      },
      error: /^Cannot build image "example\/tool:2.1": file "\/a" is listed twice$/,
      type: TypeError,
    },
    {
      name: "a file under a file",
      image: {
        ...BASE,
        files: [
          { kind: "file", path: "/a", content: "1" },
          { kind: "file", path: "/a/b", content: "2" },
        ],
      },
      error: /: "\/a" is a file, not a directory of "\/a\/b"$/,
      type: TypeError,
    },
    {
      name: "a path leaving the root",
      image: { ...BASE, files: [{ kind: "file", path: "/../etc/x", content: "" }] },
      error: /: file path "\/..\/etc\/x" must name something below "\/"$/,
      type: TypeError,
    },
    {
      name: "the root itself",
      image: { ...BASE, files: [{ kind: "directory", path: "/" }] },
      error: /: file path "\/" must name something below "\/"$/,
      type: TypeError,
    },
    {
      name: "a digest instead of a tag",
      image: { ...BASE, name: `example/tool@sha256:${"0".repeat(64)}` },
      error: /: the name needs a tag, not a digest$/,
      type: TypeError,
    },
    {
      name: "a missing source file",
      image: { ...BASE, files: [{ kind: "file", path: "/x", source: "/nonexistent/skiff" }] },
      error:
        /^Cannot build image "example\/tool:2.1": cannot read "\/nonexistent\/skiff" for "\/x"$/,
      type: Error,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assert.rejects(buildOciArchive(c.image), (err: Error) => {
        assert.ok(err instanceof c.type);
        assert.match(err.message, c.error);
        return true;
      });
    });
  }
});
