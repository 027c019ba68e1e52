// deno-lint-ignore-file no-console
/**
 * `deno task bench <name>`: runs a benchmark and its same-run baseline, printing the ratio.
 *
 * @module
 */
import { runAgentBench } from "./bench/agent.ts";
import { runApiBench } from "./bench/api.ts";
import { runAuthBench } from "./bench/auth.ts";
import { runCodecBench } from "./bench/codec.ts";
import { runControllersBench } from "./bench/controllers.ts";
import { runEncryptionBench } from "./bench/encryption.ts";
import { runNetBench } from "./bench/net.ts";
import { runSchedulerBench } from "./bench/scheduler.ts";
import { runStorageBench } from "./bench/storage.ts";

const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  storage: runStorageBench,
  api: runApiBench,
  auth: runAuthBench,
  codec: runCodecBench,
  encryption: runEncryptionBench,
  scheduler: runSchedulerBench,
  controllers: runControllersBench,
  agent: runAgentBench,
  net: runNetBench,
};

if (import.meta.main) {
  const [name, ...rest] = Deno.args;
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    console.error(`usage: deno task bench <${Object.keys(BENCHES).join("|")}> [options]`);
    Deno.exit(2);
  }
  await bench(rest);
}
