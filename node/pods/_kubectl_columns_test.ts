import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { kubectlColumns } from "./_kubectl_columns.ts";

Deno.test("kubectlColumns() prints READY and STATUS as kubectl get pods", async (t) => {
  const base = { name: "x", ready: false, restartCount: 0, image: "", imageID: "" };
  const cases: { name: string; pod: Pod; want: string }[] = [
    {
      name: "pod reason wins over phase",
      pod: {
        spec: { containers: [{ name: "x" }] },
        status: { phase: "Failed", reason: "Evicted" },
      },
      want: "0/1 Evicted",
    },
    {
      name: "terminated without reason shows the exit code",
      pod: {
        spec: { containers: [{ name: "x" }] },
        status: {
          phase: "Failed",
          containerStatuses: [{ ...base, state: { terminated: { exitCode: 3 } } }],
        },
      },
      want: "0/1 ExitCode:3",
    },
    {
      name: "deleted pod shows Terminating",
      pod: {
        metadata: { deletionTimestamp: "2026-01-01T00:00:00Z" },
        spec: { containers: [{ name: "x" }] },
        status: {
          phase: "Running",
          containerStatuses: [{ ...base, ready: true, state: { running: {} } }],
        },
      },
      want: "1/1 Terminating",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const got = kubectlColumns(c.pod);
      assert.equal(`${got.ready} ${got.status}`, c.want);
    });
  }
});
