/**
 * A child process for the durability test: opens the storage URL given as the first argument and
 * runs the write schedule of `durability_plan.ts` forever, printing `<seq> <revision>` on stdout
 * after each write is acknowledged. The test kills it with SIGKILL mid-loop.
 *
 * @module
 */
import { openStorage } from "../../control/storage/registry.ts";
import { plan } from "./durability_plan.ts";

if (import.meta.main) {
  const url = Deno.args[0];
  if (!url) throw new TypeError("Cannot run storage writer: no storage URL given");
  const storage = await openStorage(url);
  const revisions = new Map<string, number>();
  const encoder = new TextEncoder();
  for (const op of plan()) {
    let revision: number;
    if (op.action === "create") {
      revision = (await storage.create(op.key, op.value!)).modRevision;
    } else if (op.action === "update") {
      revision = (await storage.update(op.key, op.value!, revisions.get(op.key)!)).modRevision;
    } else {
      revision = (await storage.delete(op.key, revisions.get(op.key)!)).modRevision;
    }
    revisions.set(op.key, revision);
    await Deno.stdout.write(encoder.encode(`${op.seq} ${revision}\n`));
  }
}
