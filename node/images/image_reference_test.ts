import assert from "node:assert/strict";
import { parseImageReference } from "./image_reference.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;

Deno.test("parseImageReference() normalises references as Docker does", async (t) => {
  const cases: [string, string, string | undefined][] = [
    ["busybox", "docker.io/library/busybox:latest", "latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36", "1.36"],
    ["skiff/pause:3.9", "docker.io/skiff/pause:3.9", "3.9"],
    ["docker.io/skiff/busybox:1.36", "docker.io/skiff/busybox:1.36", "1.36"],
    ["docker.io/busybox", "docker.io/library/busybox:latest", "latest"],
    ["localhost/skiff/pause:1", "localhost/skiff/pause:1", "1"],
    ["localhost:5000/app", "localhost:5000/app:latest", "latest"],
    ["registry.k8s.io/pause:3.6", "registry.k8s.io/pause:3.6", "3.6"],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`, undefined],
    [`a/b:c@${DIGEST}`, `docker.io/a/b:c@${DIGEST}`, "c"],
  ];
  for (const [input, name, tag] of cases) {
    await t.step(input, () => {
      const ref = parseImageReference(input);
      assert.equal(ref.name, name);
      assert.equal(ref.tag, tag);
      assert.equal(ref.digest, input.includes("@") ? DIGEST : undefined);
    });
  }
});

Deno.test("parseImageReference() splits the domain from the path", () => {
  assert.deepEqual(parseImageReference("localhost:5000/team/app:v1"), {
    domain: "localhost:5000",
    path: "team/app",
    tag: "v1",
    name: "localhost:5000/team/app:v1",
  });
});

Deno.test("parseImageReference() rejects invalid references", async (t) => {
  const cases: [string, RegExp][] = [
    ["", /^Cannot parse image reference "": the repository name is empty$/],
    ["Busybox", /: invalid repository path component "Busybox"$/],
    ["a//b", /: invalid repository path component ""$/],
    ["busybox:", /: invalid tag ""$/],
    ["busybox@sha256:xyz", /: invalid digest "sha256:xyz"$/],
  ];
  for (const [input, error] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.throws(() => parseImageReference(input), (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, error);
        return true;
      });
    });
  }
});
