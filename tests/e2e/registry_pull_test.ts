/**
 * Image pulls through CRI on a real one-node cluster (`skiff server` with its agent, as root,
 * real containerd 1.6), from local OCI registries configured in the agent's
 * `registries.yaml`: an HTTPS registry trusted through `configs.<host>.tls.ca_file`, a
 * basic-auth registry reached with a pod's `imagePullSecrets` (and refused without them), a
 * `docker.io` mirror whose credentials come from `configs.<mirror>.auth`, a `"*"` mirror
 * (`_default/hosts.toml`) with an endpoint path of its own, and `imagePullPolicy: Never` for a
 * missing image.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { NODES, PODS } from "../../control/client/resources.ts";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { skiffBusyboxArchive, startOciRegistry } from "../_support/oci_registry.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "default";
const PRIVATE_USER = { username: "puller", password: "pull-s3cret" };
const MIRROR_USER = { username: "mirror", password: "m1rror-pass" };

function waiting(pod: Pod | undefined): { reason?: string; message?: string } {
  return pod?.status?.containerStatuses?.[0]?.state?.waiting ?? {};
}

function sleeper(name: string, image: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS },
    spec: {
      containers: [{
        name: "main",
        image,
        imagePullPolicy: "Always",
        command: ["sh", "-c", "echo pulled; exec sleep 3600"],
      }],
      terminationGracePeriodSeconds: 0,
      ...extra,
    },
  });
}

Deno.test("skiff server pulls images through CRI from registries configured in registries.yaml", async (t) => {
  const archive = await skiffBusyboxArchive("localhost/skiff/registry-test:1");
  const scratch = await Deno.makeTempDir({ prefix: "skiff-registry-e2e-" });
  try {
    await using secure = await startOciRegistry({
      images: [{ repository: "skiff/busybox", tag: "1.36", archive }],
      tls: true,
    });
    await using privateRegistry = await startOciRegistry({
      images: [{ repository: "skiff/private", tag: "1", archive }],
      basicAuth: PRIVATE_USER,
    });
    await using mirror = await startOciRegistry({
      images: [
        { repository: "skiff/busybox-mirrored", tag: "1", archive },
        { repository: "cache/skiff/busybox-mirrored", tag: "1", archive },
      ],
      basicAuth: MIRROR_USER,
    });
    const caFile = join(scratch, "registry-ca.pem");
    await Deno.writeTextFile(caFile, secure.caPem!);
    const registriesYaml = [
      "mirrors:",
      "  docker.io:",
      `    endpoint: ["${mirror.url}"]`,
      `  "${privateRegistry.host}":`,
      `    endpoint: ["${privateRegistry.url}"]`,
      // A loopback registry on another port than 443 is plain HTTP unless an endpoint says not.
      `  "${secure.host}":`,
      `    endpoint: ["${secure.url}"]`,
      // Every other registry: the mirror, under a path of its own (override_path).
      `  "*":`,
      `    endpoint: ["${mirror.url}/v2/cache"]`,
      "configs:",
      `  "${secure.host}":`,
      "    tls:",
      `      ca_file: ${caFile}`,
      `  "${mirror.host}":`,
      "    auth:",
      `      username: ${MIRROR_USER.username}`,
      `      password: ${MIRROR_USER.password}`,
      "",
    ].join("\n");

    await using server = await startTestServer({
      agent: true,
      args: ["--node-name", "registry-node", "--cluster-cidr", "10.184.0.0/16"],
      readyTimeoutMs: 90_000,
      dataDirFiles: { "agent/registries.yaml": registriesYaml },
    });
    using cluster = e2eCluster(server, { waitMs: 90_000 });
    const { client, runOk, eventually } = cluster;
    const pods = client.resource(PODS);
    const getPod = (name: string) => pods.get(name, { namespace: NS }) as Promise<Pod>;
    const running = async (name: string) => {
      try {
        await eventually(
          `pod ${name} to run`,
          async () => (await getPod(name)).status?.phase === "Running",
        );
      } catch (err) {
        const state = JSON.stringify((await getPod(name)).status?.containerStatuses?.[0]?.state);
        throw new Error(`Pod ${name} did not run: ${state}`, { cause: err });
      }
    };

    await eventually("the node to be Ready", async () => {
      const node = await client.resource(NODES).get("registry-node").catch(() => undefined);
      return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
        false;
    });

    await t.step("the agent wrote hosts.toml files from registries.yaml", async () => {
      const certsDir = join(server.dataDir, "agent", "etc", "containerd", "certs.d");
      const hub = await Deno.readTextFile(join(certsDir, "docker.io", "hosts.toml"));
      assert.match(hub, new RegExp(`\\[host\\."${mirror.url}"\\]`));
      const tls = await Deno.readTextFile(join(certsDir, secure.host, "hosts.toml"));
      assert.ok(tls.includes(`ca = "${caFile}"`), tls);
      const config = await Deno.readTextFile(
        join(server.dataDir, "agent", "etc", "containerd", "config.toml"),
      );
      assert.ok(config.includes(`registry.configs."${mirror.host}".auth]`), config);
    });

    await t.step("an HTTPS registry trusted through its CA: Always pulls and runs", async () => {
      await runOk(["apply", "-f", "-"], sleeper("from-https", `${secure.host}/skiff/busybox:1.36`));
      await running("from-https");
      assert.ok(secure.manifestRequests("skiff/busybox").length > 0, "the registry saw the pull");
      assert.equal((await runOk(["logs", "from-https"])).trim(), "pulled");
      const pod = await getPod("from-https");
      assert.equal(
        pod.status?.containerStatuses?.[0]?.image,
        `${secure.host}/skiff/busybox:1.36`,
      );
    });

    const privateImage = `${privateRegistry.host}/skiff/private:1`;
    await t.step(
      "a registry asking for credentials refuses a pod without imagePullSecrets",
      async () => {
        await runOk(["apply", "-f", "-"], sleeper("no-secret", privateImage));
        await eventually("the pull to fail", async () => {
          const reason = waiting(await getPod("no-secret")).reason;
          return reason === "ErrImagePull" || reason === "ImagePullBackOff";
        });
        const { message } = waiting(await getPod("no-secret"));
        assert.match(message ?? "", /401 Unauthorized/, message ?? "no message");
        assert.ok(privateRegistry.requests.some((r) => r.status === 401));
        const events = await runOk([
          "get",
          "events",
          "--field-selector",
          "involvedObject.name=no-secret",
        ]);
        assert.match(events, new RegExp(`Failed to pull image "${privateImage}"`));
      },
    );

    await t.step("the same pull succeeds with a dockerconfigjson Secret", async () => {
      await runOk([
        "create",
        "secret",
        "docker-registry",
        "private-pull",
        `--docker-server=${privateRegistry.host}`,
        `--docker-username=${PRIVATE_USER.username}`,
        `--docker-password=${PRIVATE_USER.password}`,
      ]);
      await runOk(
        ["apply", "-f", "-"],
        sleeper("with-secret", privateImage, { imagePullSecrets: [{ name: "private-pull" }] }),
      );
      await running("with-secret");
      assert.ok(
        privateRegistry.manifestRequests("skiff/private").some((r) =>
          r.status === 200 && r.authorized
        ),
      );
    });

    await t.step(
      "docker.io pulls go through the mirror, with its configured credentials",
      async () => {
        await runOk(
          ["apply", "-f", "-"],
          sleeper("mirrored", "docker.io/skiff/busybox-mirrored:1"),
        );
        await running("mirrored");
        const seen = mirror.manifestRequests("skiff/busybox-mirrored");
        assert.ok(seen.some((r) => r.status === 200 && r.authorized), JSON.stringify(seen));
        assert.ok(seen.some((r) => r.path.includes("ns=docker.io")), JSON.stringify(seen));
      },
    );

    await t.step('"*" mirrors every other registry, with the endpoint path as given', async () => {
      await runOk(
        ["apply", "-f", "-"],
        sleeper("wildcard", "registry.invalid/skiff/busybox-mirrored:1"),
      );
      await running("wildcard");
      const seen = mirror.manifestRequests("cache/skiff/busybox-mirrored");
      assert.ok(seen.some((r) => r.status === 200), JSON.stringify(seen));
      assert.ok(seen.some((r) => r.path.includes("ns=registry.invalid")), JSON.stringify(seen));
      const certsDir = join(server.dataDir, "agent", "etc", "containerd", "certs.d");
      const fallback = await Deno.readTextFile(join(certsDir, "_default", "hosts.toml"));
      assert.ok(fallback.includes("override_path = true"), fallback);
    });

    await t.step("imagePullPolicy Never with a missing image gives ErrImageNeverPull", async () => {
      await runOk(
        ["apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "never", namespace: NS },
          spec: {
            containers: [{
              name: "main",
              image: `${secure.host}/skiff/not-here:1`,
              imagePullPolicy: "Never",
            }],
          },
        }),
      );
      await eventually(
        "ErrImageNeverPull",
        async () => waiting(await getPod("never")).reason === "ErrImageNeverPull",
      );
      assert.equal(
        waiting(await getPod("never")).message,
        `Container image "${secure.host}/skiff/not-here:1" is not present with pull policy of Never`,
      );
      assert.equal(secure.manifestRequests("skiff/not-here").length, 0);
    });

    for (
      const name of ["from-https", "no-secret", "with-secret", "mirrored", "wildcard", "never"]
    ) {
      await runOk(["delete", "pod", name, "--wait=false"]);
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
});
