import assert from "node:assert/strict";
import { parseDnsperf } from "./net_dns.ts";

Deno.test("parseDnsperf() reads the summary and the -v reply lines", () => {
  const out = [
    "[Status] Sending queries (to 10.200.0.10:53)",
    "> NOERROR svc-1.bench.svc.cluster.local A 0.000120",
    "> NXDOMAIN nope.bench.svc.cluster.local A 0.001500",
    "Statistics:",
    "  Queries sent:         2000",
    "  Queries completed:    1990 (99.50%)",
    "  Queries lost:         10 (0.50%)",
    "  Queries per second:   31693.688857",
  ].join("\n");
  const r = parseDnsperf(out);
  assert.equal(r.qps, 31693.688857);
  assert.equal(r.sent, 2000);
  assert.equal(r.lost, 10);
  assert.deepEqual(r.latenciesMs.map((x) => Number(x.toFixed(3))), [0.12, 1.5]);
});
