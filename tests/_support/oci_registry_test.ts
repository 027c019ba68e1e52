import assert from "node:assert/strict";
import { skiffBusyboxArchive, startOciRegistry } from "./oci_registry.ts";

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

Deno.test("startOciRegistry() serves an OCI archive's manifest and blobs by tag and digest", async () => {
  const archive = await skiffBusyboxArchive("127.0.0.1/skiff/busybox:1.36");
  await using registry = await startOciRegistry({
    images: [{ repository: "skiff/busybox", tag: "1.36", archive }],
  });
  const base = `${registry.url}/v2`;
  const root = await fetch(`${base}/`);
  assert.equal(root.status, 200);
  assert.equal(root.headers.get("docker-distribution-api-version"), "registry/2.0");
  await root.body?.cancel();

  const byTag = await fetch(`${base}/skiff/busybox/manifests/1.36?ns=docker.io`);
  assert.equal(byTag.headers.get("content-type"), "application/vnd.oci.image.manifest.v1+json");
  const manifestBytes = new Uint8Array(await byTag.arrayBuffer());
  const digest = byTag.headers.get("docker-content-digest")!;
  assert.equal(digest, await sha256(manifestBytes));
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));

  const head = await fetch(`${base}/skiff/busybox/manifests/${digest}`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(manifestBytes.length));

  for (const part of [manifest.config, ...manifest.layers]) {
    const blob = await fetch(`${base}/skiff/busybox/blobs/${part.digest}`);
    assert.equal(await sha256(new Uint8Array(await blob.arrayBuffer())), part.digest);
  }
  const missing = await fetch(`${base}/skiff/busybox/manifests/2`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).errors[0].code, "MANIFEST_UNKNOWN");
  const unknown = await fetch(`${base}/other/manifests/1`);
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  assert.deepEqual(
    registry.manifestRequests("skiff/busybox").map((r) => [r.method, r.status]),
    [["GET", 200], ["HEAD", 200], ["GET", 404]],
  );
});

Deno.test("startOciRegistry() asks for basic auth and serves HTTPS with its own CA", async () => {
  const archive = await skiffBusyboxArchive("127.0.0.1/skiff/busybox:1.36");
  await using registry = await startOciRegistry({
    images: [{ repository: "skiff/busybox", tag: "1.36", archive }],
    basicAuth: { username: "puller", password: "s3cret" },
    tls: true,
  });
  assert.ok(registry.url.startsWith("https://127.0.0.1:"));
  using client = Deno.createHttpClient({ caCerts: [registry.caPem!] });
  const denied = await fetch(`${registry.url}/v2/`, { client });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("www-authenticate"), 'Basic realm="skiff-test-registry"');
  await denied.body?.cancel();
  const allowed = await fetch(`${registry.url}/v2/skiff/busybox/manifests/1.36`, {
    client,
    headers: { authorization: `Basic ${btoa("puller:s3cret")}` },
  });
  assert.equal(allowed.status, 200);
  await allowed.body?.cancel();
  assert.deepEqual(registry.requests.map((r) => [r.status, r.authorized]), [
    [401, false],
    [200, true],
  ]);
});
