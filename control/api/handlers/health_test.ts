import assert from "node:assert/strict";
import { RecordingLogger } from "../../util/logger.ts";
import { type HealthCheck, HealthProbe } from "./health.ts";

function check(name: string, error?: string): HealthCheck {
  return {
    name,
    check: () => error === undefined ? Promise.resolve() : Promise.reject(new Error(error)),
  };
}

Deno.test("HealthProbe.all() answers as kube-apiserver's healthz handler", async (t) => {
  const logger = new RecordingLogger();
  const probe = new HealthProbe("livez", [check("ping"), check("storage", "disk gone")], logger);
  const cases: [string, number, string][] = [
    ["/livez", 500, "[+]ping ok\n[-]storage failed: reason withheld\nlivez check failed\n"],
    ["/livez?verbose", 500, "[+]ping ok\n[-]storage failed: reason withheld\nlivez check failed\n"],
    ["/livez?exclude=storage", 200, "ok"],
    ["/livez?exclude=storage&verbose", 200, "[+]ping ok\nlivez check passed\n"],
    ["/livez?exclude=storage&exclude=etcd", 200, "ok"],
    [
      "/livez?exclude=storage&exclude=etcd&verbose",
      200,
      '[+]ping ok\nwarn: some health checks cannot be excluded: no matches for "etcd"\nlivez check passed\n',
    ],
  ];
  for (const [path, status, body] of cases) {
    await t.step(path, async () => {
      const res = await probe.all(new URL(`https://x${path}`));
      assert.equal(res.status, status);
      assert.equal(res.headers.get("cache-control"), "no-cache, private");
      assert.equal(await res.text(), body);
    });
  }
  await t.step("the reason is logged, not sent", () => {
    const failed = logger.records.find((r) => r.msg === "livez check failed")?.fields
      ?.failed as { check: string; error: Error }[];
    assert.equal(failed[0]?.check, "storage");
    assert.equal(failed[0]?.error.message, "disk gone");
  });
});

Deno.test("HealthProbe.one() runs one check; an unknown check is null", async () => {
  const probe = new HealthProbe(
    "readyz",
    [check("ping"), check("bootstrap", "not yet")],
    new RecordingLogger(),
  );
  const ok = await probe.one("ping");
  assert.equal(ok?.status, 200);
  assert.equal(await ok?.text(), "ok");
  const failed = await probe.one("bootstrap");
  assert.equal(failed?.status, 500);
  assert.equal(await failed?.text(), "internal server error: bootstrap check failed\n");
  assert.equal(await probe.one("etcd"), null);
});
