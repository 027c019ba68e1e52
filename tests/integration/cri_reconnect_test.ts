/**
 * The CRI client against the real containerd 1.6 across a restart: after `kill -9`, the
 * supervisor starts a new containerd on the same socket and the same CriClient carries on,
 * on a new HTTP/2 connection, without being recreated.
 */
import assert from "node:assert/strict";
import { CriClient } from "../../node/cri/client.ts";
import { CriError } from "../../node/cri/errors.ts";
import { startContainerd } from "../_support/containerd_process.ts";
import { until } from "../_support/until.ts";

Deno.test("CriClient reconnects to containerd after it is killed and restarted", async () => {
  await using containerd = await startContainerd({ backoff: { initialMs: 500 } });
  const sup = containerd.supervisor;
  using cri = new CriClient({ endpoint: `unix://${containerd.socketPath}`, timeoutMs: 10_000 });
  await cri.waitForReady({ timeoutMs: 10_000 });
  const before = await cri.version();
  assert.equal(before.runtimeName, "containerd");

  const firstPid = sup.pid!;
  Deno.kill(firstPid, "SIGKILL");
  // While it is down (its restart waits 500 ms), calls fail as UNAVAILABLE, quickly.
  await until(async () => {
    const err = await cri.version().then(() => undefined, (e) => e);
    return err instanceof CriError && err.codeName === "UNAVAILABLE";
  }, { timeoutMs: 5_000 });

  await until(() => sup.restarts === 1 && sup.pid !== undefined, { timeoutMs: 10_000 });
  await sup.ready(10_000);
  assert.notEqual(sup.pid, firstPid);
  await cri.waitForReady({ timeoutMs: 10_000 });
  const after = await cri.version();
  assert.deepEqual(after, before);
  const status = await cri.status();
  assert.ok(status.status?.conditions.some((c) => c.type === "RuntimeReady" && c.status));
});
