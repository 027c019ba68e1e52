import assert from "node:assert/strict";
import { createTestPki } from "../_test_https.ts";
import { ApiError } from "../errors.ts";
import { startTestKubelet } from "./_test_kubelet.ts";
import { kubeletRefusal, upgradeKubelet } from "./kubelet_upgrade.ts";

Deno.test("upgradeKubelet() sends the upgrade with the client certificate and reads the answer", async (t) => {
  await using pki = await createTestPki();
  await using kubelet = await startTestKubelet(pki);
  const base = {
    endpoint: { host: "127.0.0.1", port: kubelet.port },
    credentials: { certPem: pki.kubeletClient.certPem, keyPem: pki.kubeletClient.keyPem },
    method: "POST" as const,
    path: "/exec/default/web/app?command=ls&output=1",
    headers: [["Connection", "Upgrade"], ["Upgrade", "SPDY/3.1"]] as [string, string][],
    signal: new AbortController().signal,
  };
  await t.step("a 101", async () => {
    kubelet.answer = { kind: "echo", protocol: "v4.channel.k8s.io" };
    const { socket, head } = await upgradeKubelet(base);
    assert.equal(head.status, 101);
    assert.equal(head.headers.get("x-stream-protocol-version"), "v4.channel.k8s.io");
    assert.equal(kubelet.heads[0]!.line, `POST ${base.path} HTTP/1.1`);
    assert.deepEqual(kubelet.heads[0]!.headers[0], ["Host", `127.0.0.1:${kubelet.port}`]);
    assert.equal(kubelet.heads[0]!.subject, "system:masters/kube-apiserver-kubelet-client");
    socket.destroy();
  });
  await t.step("a refusal becomes the same response", async () => {
    kubelet.answer = {
      kind: "refuse",
      status: 400,
      body: "you must specify at least 1 of stdin, stdout, stderr",
    };
    const res = await kubeletRefusal(await upgradeKubelet(base));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await res.text(), "you must specify at least 1 of stdin, stdout, stderr");
  });
  await t.step("a success that is not an upgrade is an error", async () => {
    kubelet.answer = { kind: "refuse", status: 200, body: "ok" };
    await assert.rejects(
      kubeletRefusal(await upgradeKubelet(base)),
      (err: unknown) =>
        err instanceof ApiError && err.code === 500 &&
        err.message === "invalid upgrade response: status code 200",
    );
  });
});
