import { MemoryStorage } from "./memory.ts";
import { runStorageConformance } from "./_conformance.ts";

runStorageConformance("MemoryStorage", () =>
  Promise.resolve({
    open: () => Promise.resolve(new MemoryStorage()),
    teardown: () => Promise.resolve(),
  }));
