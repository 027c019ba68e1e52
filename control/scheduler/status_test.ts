import assert from "node:assert/strict";
import {
  errorStatus,
  isRejected,
  isSkip,
  isSuccess,
  isWait,
  newStatus,
  type PluginStatus,
  pluginStatusMessage,
  skip,
  statusAsError,
  statusCode,
  unresolvable,
  unschedulable,
  withPlugin,
} from "./status.ts";

Deno.test("status predicates classify every code as upstream does", async (t) => {
  const cases: {
    name: string;
    status: PluginStatus | null;
    want: { code: string; success: boolean; rejected: boolean; skip: boolean; wait: boolean };
  }[] = [
    {
      name: "null is success",
      status: null,
      want: { code: "Success", success: true, rejected: false, skip: false, wait: false },
    },
    {
      name: "Success",
      status: newStatus("Success"),
      want: { code: "Success", success: true, rejected: false, skip: false, wait: false },
    },
    {
      name: "Error",
      status: errorStatus(new Error("boom")),
      want: { code: "Error", success: false, rejected: false, skip: false, wait: false },
    },
    {
      name: "Unschedulable",
      status: unschedulable("Insufficient cpu"),
      want: { code: "Unschedulable", success: false, rejected: true, skip: false, wait: false },
    },
    {
      name: "UnschedulableAndUnresolvable",
      status: unresolvable("node(s) were unschedulable"),
      want: {
        code: "UnschedulableAndUnresolvable",
        success: false,
        rejected: true,
        skip: false,
        wait: false,
      },
    },
    {
      name: "Pending is a rejection",
      status: newStatus("Pending", "waiting for a claim"),
      want: { code: "Pending", success: false, rejected: true, skip: false, wait: false },
    },
    {
      name: "Skip",
      status: skip(),
      want: { code: "Skip", success: false, rejected: false, skip: true, wait: false },
    },
    {
      name: "Wait",
      status: newStatus("Wait"),
      want: { code: "Wait", success: false, rejected: false, skip: false, wait: true },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual({
        code: statusCode(c.status),
        success: isSuccess(c.status),
        rejected: isRejected(c.status),
        skip: isSkip(c.status),
        wait: isWait(c.status),
      }, c.want);
    });
  }
});

Deno.test("pluginStatusMessage() joins reasons with a comma as upstream's Message()", () => {
  assert.equal(pluginStatusMessage(null), "");
  assert.equal(pluginStatusMessage(unschedulable()), "");
  assert.equal(
    pluginStatusMessage(unschedulable("Insufficient cpu", "Too many pods")),
    "Insufficient cpu, Too many pods",
  );
  assert.equal(pluginStatusMessage(errorStatus("plain text")), "plain text");
});

Deno.test("withPlugin() returns a new status and leaves shared constants alone", () => {
  const shared = Object.freeze(unresolvable("x"));
  const s = withPlugin(shared, "NodeName");
  assert.equal(s.plugin, "NodeName");
  assert.equal(shared.plugin, undefined);
  assert.deepEqual(s.reasons, ["x"]);
  assert.equal(withPlugin(s, "NodeName"), s);
});

Deno.test("statusAsError() carries the message, or the code when there is none", () => {
  assert.equal(statusAsError(errorStatus("bad state")).message, "bad state");
  assert.equal(statusAsError(newStatus("Error")).message, "Error status");
});
