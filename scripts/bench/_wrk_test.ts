import assert from "node:assert/strict";
import { parseWrkOutput } from "./_wrk.ts";

const OUTPUT = `Running 4s test @ http://10.43.0.5/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   310.50us  100.20us   5.00ms   90.00%
    Req/Sec    40.00k     2.00k   45.00k    80.00%
  Latency Distribution
     50%  290.00us
     75%  330.00us
     90%  400.00us
     99%    1.20ms
  160000 requests in 4.00s, 12.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  40000.50
Transfer/sec:      3.00MB
`;

Deno.test("parseWrkOutput() reads the rate, percentiles and errors", () => {
  assert.deepEqual(parseWrkOutput(OUTPUT), {
    requestsPerSec: 40000.5,
    p50Ms: 0.29,
    p99Ms: 1.2,
    requests: 160000,
    errors: 7,
  });
});

Deno.test("parseWrkOutput() refuses output without results", () => {
  assert.throws(() => parseWrkOutput("unable to connect to 10.43.0.5:80"), SyntaxError);
});
