import assert from "node:assert/strict";
import { join } from "node:path";
import { Helm, HELM_VERSION, helmBinary } from "./helm.ts";

Deno.test("helmBinary() reuses the binary kept in its cache dir", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "skiff-helm-cache-" });
  try {
    const kept = join(cacheDir, `helm-${HELM_VERSION}`, "helm");
    await Deno.mkdir(join(kept, ".."), { recursive: true });
    await Deno.writeTextFile(kept, "#!/bin/sh\necho kept\n", { mode: 0o755 });
    assert.equal(await helmBinary({ cacheDir }), kept);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(cacheDir), (e) => e.name), [
      `helm-${HELM_VERSION}`,
    ], "nothing was fetched");
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("Helm.run() runs helm 4 with a HOME and helm dirs of its own", async () => {
  const homeDir = await Deno.makeTempDir({ prefix: "skiff-helm-home-" });
  try {
    const helm = new Helm({ kubeconfig: join(homeDir, "kubeconfig.yaml"), homeDir });
    const version = await helm.run(["version", "--short"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`^${HELM_VERSION}\\+g[0-9a-f]+\\n$`));
    const env = await helm.run(["env"]);
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, new RegExp(`HELM_CACHE_HOME="${homeDir}/\\.cache/helm"`));
    assert.match(env.stdout, new RegExp(`HELM_CONFIG_HOME="${homeDir}/\\.config/helm"`));
    assert.match(env.stdout, new RegExp(`KUBECONFIG="${homeDir}/kubeconfig\\.yaml"`));
  } finally {
    await Deno.remove(homeDir, { recursive: true });
  }
});
