import assert from "node:assert/strict";
import type { Pod } from "../../control/api/types/core_v1_pod.ts";
import { kernelHostname, podHostnameAndDomain } from "./_pod_hostname.ts";

function pod(spec: Partial<NonNullable<Pod["spec"]>>, name = "web"): Pod {
  return { metadata: { name, namespace: "ns" }, spec: { containers: [], ...spec } };
}

Deno.test("podHostnameAndDomain() takes spec.hostname or the name, and the subdomain", async (t) => {
  const cases: { name: string; pod: Pod; want: { hostname: string; domain: string } }[] = [
    { name: "the pod's name", pod: pod({}), want: { hostname: "web", domain: "" } },
    { name: "spec.hostname", pod: pod({ hostname: "h" }), want: { hostname: "h", domain: "" } },
    {
      name: "subdomain",
      pod: pod({ subdomain: "svc1" }),
      want: { hostname: "web", domain: "svc1.ns.svc.cluster.local" },
    },
    {
      name: "a long name cut at 63, trailing dots and dashes dropped",
      pod: pod({}, `${"a".repeat(60)}.-.-b`),
      want: { hostname: "a".repeat(60), domain: "" },
    },
  ];
  for (const c of cases) {
    await t.step(
      c.name,
      () => assert.deepEqual(podHostnameAndDomain(c.pod, "cluster.local"), c.want),
    );
  }
  await t.step("a name of only dots and dashes past 63 is an error", () => {
    const name = "-".repeat(70);
    assert.throws(
      () => podHostnameAndDomain(pod({}, name), "cluster.local"),
      new TypeError(`hostname for pod "${name}" was invalid: "${name}"`),
    );
  });
});

Deno.test("kernelHostname() gives the FQDN only with setHostnameAsFQDN and a subdomain", async (t) => {
  const cases: { name: string; spec: Partial<NonNullable<Pod["spec"]>>; want: string }[] = [
    { name: "no FQDN", spec: { subdomain: "s" }, want: "web" },
    {
      name: "FQDN",
      spec: { subdomain: "s", setHostnameAsFQDN: true },
      want: "web.s.ns.svc.c.local",
    },
    { name: "FQDN without subdomain", spec: { setHostnameAsFQDN: true }, want: "web" },
    {
      name: "exactly 64 characters",
      spec: { hostname: "h".repeat(47), subdomain: "s", setHostnameAsFQDN: true },
      want: `${"h".repeat(47)}.s.ns.svc.c.local`,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assert.equal(kernelHostname(pod(c.spec), "c.local"), c.want));
  }
});
