import assert from "node:assert/strict";
import { endpointSlice, namespace, service } from "./_test_objects.ts";
import { ClusterRecordIndex } from "./record_index.ts";

function ips(index: ClusterRecordIndex, key: string): string[] {
  const [ns, name] = key.split("/") as [string, string];
  return [...index.endpoints(ns, name).ipv4].sort();
}

Deno.test("ClusterRecordIndex merges a Service's EndpointSlices and follows their changes", () => {
  const index = new ClusterRecordIndex();
  index.setService(service("default/db", { clusterIP: "None" }));
  const a = endpointSlice({
    key: "default/db-a",
    service: "db",
    endpoints: [{ addresses: ["10.42.0.1"], hostname: "db-0" }],
  });
  const b = endpointSlice({
    key: "default/db-b",
    service: "db",
    endpoints: [{ addresses: ["10.42.0.2"] }, { addresses: ["10.42.0.1"], hostname: "db-0" }],
  });
  index.setEndpointSlice(a);
  index.setEndpointSlice(b);
  // The same endpoint in two slices (while the controller moves it) is one record.
  assert.deepEqual(ips(index, "default/db"), ["10.42.0.1", "10.42.0.2"]);
  assert.equal(index.endpoints("default", "db").all.length, 2);
  assert.deepEqual(index.ptrTargets("10.42.0.2"), [
    { namespace: "default", service: "db", host: "10-42-0-2" },
  ]);
  index.deleteEndpointSlice(b);
  assert.deepEqual(ips(index, "default/db"), ["10.42.0.1"]);
  assert.deepEqual(index.ptrTargets("10.42.0.2"), []);
  // Readiness flips are updates of the slice.
  index.setEndpointSlice(endpointSlice({
    key: "default/db-a",
    service: "db",
    endpoints: [{ addresses: ["10.42.0.1"], hostname: "db-0", conditions: { ready: false } }],
  }));
  assert.deepEqual(ips(index, "default/db"), []);
  assert.deepEqual(index.ptrTargets("10.42.0.1"), []);
});

Deno.test("ClusterRecordIndex publishes not-ready endpoints once the Service asks for it", () => {
  const index = new ClusterRecordIndex();
  index.setEndpointSlice(endpointSlice({
    key: "default/peers-a",
    service: "peers",
    endpoints: [{ addresses: ["10.42.0.7"], conditions: { ready: false } }],
  }));
  // Slices seen before their Service count once the Service comes.
  assert.deepEqual(ips(index, "default/peers"), []);
  index.setService(service("default/peers", { clusterIP: "None" }));
  assert.deepEqual(ips(index, "default/peers"), []);
  index.setService(service("default/peers", { clusterIP: "None", publishNotReadyAddresses: true }));
  assert.deepEqual(ips(index, "default/peers"), ["10.42.0.7"]);
  index.deleteService(service("default/peers", {}));
  assert.equal(index.service("default", "peers"), undefined);
  assert.deepEqual(ips(index, "default/peers"), []);
});

Deno.test("ClusterRecordIndex keeps reverse entries for ClusterIPs in step with the Service", () => {
  const index = new ClusterRecordIndex();
  index.setService(service("default/web", { clusterIP: "10.43.0.5", clusterIPs: ["10.43.0.5"] }));
  assert.deepEqual(index.ptrTargets("10.43.0.5"), [{ namespace: "default", service: "web" }]);
  // The type changes to ExternalName: the ClusterIP goes.
  index.setService(service("default/web", { type: "ExternalName", externalName: "x.example" }));
  assert.deepEqual(index.ptrTargets("10.43.0.5"), []);
  assert.equal(index.service("default", "web")?.kind, "ExternalName");
  assert.equal(index.service("default", "web")?.externalName, "x.example");
});

Deno.test("ClusterRecordIndex ignores FQDN slices and slices without a Service label", () => {
  const index = new ClusterRecordIndex();
  index.setService(service("default/web", { clusterIP: "None" }));
  index.setEndpointSlice(endpointSlice({
    key: "default/web-fqdn",
    service: "web",
    addressType: "FQDN",
    endpoints: [{ addresses: ["example.com"] }],
  }));
  const unlabelled = endpointSlice({
    key: "default/web-x",
    service: "web",
    endpoints: [{ addresses: ["10.42.0.9"] }],
  });
  delete unlabelled.metadata!.labels;
  index.setEndpointSlice(unlabelled);
  assert.deepEqual(ips(index, "default/web"), []);
});

Deno.test("ClusterRecordIndex canonicalizes IPv6 endpoint addresses and names them dashed", () => {
  const index = new ClusterRecordIndex();
  index.setService(service("default/v6", { clusterIP: "None" }));
  index.setEndpointSlice(endpointSlice({
    key: "default/v6-a",
    service: "v6",
    addressType: "IPv6",
    endpoints: [{ addresses: ["FD00:0:0:0::5"] }],
  }));
  const eps = index.endpoints("default", "v6");
  assert.deepEqual(eps.ipv6, ["fd00::5"]);
  assert.deepEqual([...eps.byHost.keys()], ["fd00--5"]);
});

Deno.test("ClusterRecordIndex tracks namespaces and counts changes", () => {
  const index = new ClusterRecordIndex();
  const before = index.changes;
  index.setNamespace(namespace("team-a"));
  assert.equal(index.hasNamespace("team-a"), true);
  index.deleteNamespace(namespace("team-a"));
  assert.equal(index.hasNamespace("team-a"), false);
  assert.equal(index.changes, before + 2);
});
