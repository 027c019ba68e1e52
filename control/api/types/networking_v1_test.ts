import assert from "node:assert/strict";
import {
  HTTPIngressPath,
  Ingress,
  IngressBackend,
  IngressClass,
  IngressClassParametersReference,
  IngressRule,
  IngressSpec,
  IPBlock,
  NetworkPolicy,
  NetworkPolicyPort,
  NetworkPolicySpec,
  ServiceBackendPort,
} from "./networking_v1.ts";

Deno.test("networking kinds carry their group-version-kinds", async (t) => {
  for (
    const [kind, schema] of [["NetworkPolicy", NetworkPolicy], ["Ingress", Ingress], [
      "IngressClass",
      IngressClass,
    ]] as const
  ) {
    await t.step(kind, () => {
      assert.equal(schema.name, `io.k8s.api.networking.v1.${kind}`);
      assert.deepEqual(schema.gvk, [{ group: "networking.k8s.io", version: "v1", kind }]);
    });
  }
  assert.equal(Ingress.fields.status.proto, 3);
  assert.equal("status" in NetworkPolicy.fields, false);
});

Deno.test("NetworkPolicy types follow upstream", () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(NetworkPolicySpec.fields).map(([k, f]) => [k, f.proto])),
    { podSelector: 1, ingress: 2, egress: 3, policyTypes: 4 },
  );
  assert.equal(NetworkPolicyPort.fields.protocol.default, "TCP");
  assert.equal(NetworkPolicyPort.fields.port.schema.type, "intOrString");
  assert.equal(NetworkPolicyPort.fields.endPort.proto, 3);
  assert.equal(IPBlock.fields.cidr.required, true);
  assert.deepEqual(NetworkPolicySpec.fields.policyTypes.schema.items.enum, ["Ingress", "Egress"]);
});

Deno.test("Ingress types follow upstream", () => {
  assert.equal(IngressSpec.fields.ingressClassName.proto, 4);
  assert.equal(IngressSpec.fields.defaultBackend.proto, 1);
  assert.equal(HTTPIngressPath.fields.pathType.required, true);
  assert.deepEqual(HTTPIngressPath.fields.pathType.schema.enum, [
    "Exact",
    "ImplementationSpecific",
    "Prefix",
  ]);
  assert.equal(HTTPIngressPath.fields.pathType.proto, 3);
  assert.equal(IngressBackend.fields.service.proto, 4);
  assert.equal(IngressBackend.fields.resource.proto, 3);
  assert.equal(ServiceBackendPort.mapType, "atomic");
  assert.equal(IngressRule.fields.http.proto, undefined);
  assert.equal(IngressClassParametersReference.fields.scope.default, "Cluster");
  assert.equal(IngressClassParametersReference.fields.kind.required, true);
});
