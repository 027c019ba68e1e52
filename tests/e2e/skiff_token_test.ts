/**
 * `skiff token create|list|delete` against the real `skiff server`: the command reads the admin
 * kubeconfig of the server's data directory and talks HTTPS with its client certificate, as a
 * user on the device would. (Until the command is dispatched by `control/cli.ts`, it is called
 * as `runTokenCommand` with the system's dependencies.)
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { caCertHash, parseJoinToken } from "../../control/api/auth/bootstrap_token.ts";
import { systemConfigDeps } from "../../control/config.ts";
import { runTokenCommand } from "../../control/token_command.ts";
import { BufferWriter, systemClock } from "../../control/util/mod.ts";
import { startTestServer } from "../_support/skiff_server.ts";

async function token(args: string[], dataDir: string) {
  const stdout = new BufferWriter();
  const stderr = new BufferWriter();
  const code = await runTokenCommand([...args, "--data-dir", dataDir], {
    stdout,
    stderr,
    clock: systemClock,
    config: systemConfigDeps(),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

Deno.test("skiff token creates, lists and deletes join tokens on a running server", async () => {
  await using server = await startTestServer();
  const kubeconfig = parse(await Deno.readTextFile(server.kubeconfig)) as {
    clusters: { cluster: { "certificate-authority-data": string } }[];
  };
  const caPem = atob(kubeconfig.clusters[0]!.cluster["certificate-authority-data"]);

  const created = await token(["create", "--description", "e2e", "--ttl", "2h"], server.dataDir);
  assert.equal(created.code, 0, `${created.stderr}\n${server.logTail()}`);
  const join = parseJoinToken(created.stdout);
  assert.equal(join.caHash, caCertHash(caPem), "the join token pins the server's CA");

  const listed = await token(["list"], server.dataDir);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
  assert.equal(lines.length, 2);
  assert.match(
    lines[1]!,
    new RegExp(
      `^${
        join.token.replace(".", "\\.")
      }\\s+1h\\s+\\S+Z\\s+authentication,signing\\s+e2e\\s+system:bootstrappers:skiff:default-node-token$`,
    ),
  );

  const deleted = await token(["delete", created.stdout.trim()], server.dataDir);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `bootstrap token "${join.id}" deleted\n`);
  const after = await token(["list"], server.dataDir);
  assert.equal(after.stdout.trimEnd().split("\n").length, 1);
  const missing = await token(["delete", join.id], server.dataDir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);
});
