/**
 * PodDisruptionBudgets with the real kubectl 1.33 against the real `skiff server`:
 * `kubectl create pdb` makes one, `kubectl get pdb` prints MIN AVAILABLE, MAX UNAVAILABLE and
 * ALLOWED DISRUPTIONS as kubectl 1.33 shows them, and `kubectl drain`'s eviction is refused
 * while the budget allows none.
 * The budgets' status comes from the disruption controller `skiff server` runs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { e2eCluster } from "../_support/e2e_cluster.ts";
import { startTestServer } from "../_support/skiff_server.ts";

const NS = "pdb";

function pod(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { app: "web" } },
    spec: { containers: [{ name: "web", image: "busybox" }] },
  };
}

/** What a kubelet would report of a running, ready pod. */
const READY_STATUS = JSON.stringify({
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
});

Deno.test("kubectl create pdb and get pdb show the budget the disruption controller computes", async (t) => {
  await using server = await startTestServer();
  using cluster = e2eCluster(server);
  const { run, ok, eventually } = cluster;

  ok(await run(["create", "namespace", NS]), "create namespace");
  for (const name of ["web-0", "web-1", "web-2"]) {
    ok(await run(["apply", "-f", "-"], JSON.stringify(pod(name))), `apply ${name}`);
    ok(
      await run([
        "patch",
        "pod",
        name,
        "-n",
        NS,
        "--subresource=status",
        "--type=merge",
        "-p",
        READY_STATUS,
      ]),
      `mark ${name} ready`,
    );
  }

  await t.step("kubectl create pdb --min-available=2 allows one disruption", async () => {
    const created = ok(
      await run(["create", "pdb", "x", "-n", NS, "--selector=app=web", "--min-available=2"]),
      "create pdb",
    );
    assert.equal(created.trim(), "poddisruptionbudget.policy/x created");
    let table = "";
    await eventually("ALLOWED DISRUPTIONS 1", async () => {
      table = ok(await run(["get", "pdb", "-n", NS]), "get pdb");
      return /^x\s+2\s+N\/A\s+1\s+\S+\s*$/m.test(table);
    });
    const [header] = table.split("\n");
    assert.match(header!, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    const status = JSON.parse(
      ok(await run(["get", "pdb", "x", "-n", NS, "-o", "json"]), "get pdb -o json"),
    ).status;
    assert.equal(status.expectedPods, 3);
    assert.equal(status.desiredHealthy, 2);
    assert.equal(status.currentHealthy, 3);
    assert.equal(status.observedGeneration, 1);
    assert.deepEqual(
      status.conditions.map((c: { type: string; status: string; reason: string }) => [
        c.type,
        c.status,
        c.reason,
      ]),
      [["DisruptionAllowed", "True", "SufficientPods"]],
    );
  });

  await t.step("a max-unavailable budget prints N/A for MIN AVAILABLE", async () => {
    ok(
      await run(["create", "pdb", "y", "-n", NS, "--selector=app=db", "--max-unavailable=50%"]),
      "create pdb y",
    );
    await eventually("y's status", async () => {
      const table = ok(await run(["get", "pdb", "y", "-n", NS]), "get pdb y");
      return /^y\s+N\/A\s+50%\s+0\s+\S+\s*$/m.test(table);
    });
  });

  await t.step("kubectl drain's eviction is refused once no disruption is left", async () => {
    // A second pod not ready: 2 healthy of the 2 wanted, nothing to spare.
    ok(
      await run([
        "patch",
        "pod",
        "web-2",
        "-n",
        NS,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify({
          status: { conditions: [{ type: "Ready", status: "False" }] },
        }),
      ]),
      "mark web-2 not ready",
    );
    await eventually("ALLOWED DISRUPTIONS 0", async () => {
      const table = ok(await run(["get", "pdb", "x", "-n", NS]), "get pdb");
      return /^x\s+2\s+N\/A\s+0\s+/m.test(table);
    });
    // What `kubectl drain` does for each pod: POST its eviction subresource.
    const eviction = JSON.stringify({
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name: "web-0", namespace: NS },
    });
    const refused = await run([
      "create",
      "--raw",
      `/api/v1/namespaces/${NS}/pods/web-0/eviction`,
      "-f",
      "-",
    ], eviction);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /Cannot evict pod as it would violate the pod's disruption budget\./,
    );
    ok(await run(["get", "pod", "web-0", "-n", NS]), "web-0 is still there");
  });
});
