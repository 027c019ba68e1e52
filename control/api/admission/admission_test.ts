import assert from "node:assert/strict";
import { BUILTIN_RESOURCES } from "../registry/builtin_resources.ts";
import { type AdmissionAttributes, AdmissionChain, type AdmissionPlugin } from "./admission.ts";

const CONFIGMAPS = BUILTIN_RESOURCES.find((d) => d.resource === "configmaps")!;

function attrs(operation: AdmissionAttributes["operation"]): AdmissionAttributes {
  return {
    operation,
    def: CONFIGMAPS,
    namespace: "default",
    name: "a",
    subresource: "",
    object: { metadata: { name: "a" } },
    oldObject: undefined,
    dryRun: false,
    username: "alice",
    groups: ["system:authenticated"],
  };
}

function recorder(name: string, log: string[], options: { refuse?: string } = {}): AdmissionPlugin {
  return {
    name,
    admit(a) {
      log.push(`${name}.admit`);
      // Mutating plugins may change the object; later plugins see the change.
      a.object!.metadata!.labels = { ...a.object!.metadata!.labels, [name]: "seen" };
      return Promise.resolve();
    },
    validate(a) {
      log.push(`${name}.validate:${Object.keys(a.object?.metadata?.labels ?? {}).join("+")}`);
      if (options.refuse === a.operation) return Promise.reject(new Error(`${name} refuses`));
      return Promise.resolve();
    },
    committed(_a, ok) {
      log.push(`${name}.committed:${ok}`);
    },
  };
}

Deno.test("AdmissionChain.run() runs every mutating phase, then every validating phase, in order", async () => {
  const log: string[] = [];
  const chain = new AdmissionChain([recorder("A", log), recorder("B", log)]);
  assert.deepEqual(chain.names, ["A", "B"]);
  await chain.run(attrs("CREATE"));
  assert.deepEqual(log, ["A.admit", "B.admit", "A.validate:A+B", "B.validate:A+B"]);
});

Deno.test("AdmissionChain.validate() stops at the first plugin that refuses", async () => {
  const log: string[] = [];
  const chain = new AdmissionChain([recorder("A", log, { refuse: "DELETE" }), recorder("B", log)]);
  await assert.rejects(() => chain.validate(attrs("DELETE")), { message: "A refuses" });
  assert.deepEqual(log, ["A.validate:"], "B never ran");
});

Deno.test("AdmissionChain.committed() tells every plugin, and plugins may omit any phase", async () => {
  const log: string[] = [];
  const chain = new AdmissionChain([
    { name: "Empty" },
    recorder("A", log),
    { name: "OnlyCommit", committed: (_a, ok) => void log.push(`OnlyCommit:${ok}`) },
  ]);
  await chain.admit(attrs("UPDATE"));
  await chain.validate(attrs("UPDATE"));
  chain.committed(attrs("UPDATE"), false);
  assert.deepEqual(log, ["A.admit", "A.validate:", "A.committed:false", "OnlyCommit:false"]);
  assert.deepEqual(new AdmissionChain([]).names, []);
});
