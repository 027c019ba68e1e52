import assert from "node:assert/strict";
import { validateSchema } from "../codec/validate_schema.ts";
import { Pod, type PodSpec, type PodTemplateSpec } from "../types/core_v1_pod.ts";
import {
  defaultPodSpec,
  defaultPodTemplateSpec,
  imageTag,
  validatePodSpec,
  validatePodTemplateSpec,
} from "./pod_spec.ts";

function spec(
  extra: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
): PodSpec {
  return { containers: [{ name: "web", image: "nginx:1.25", ...container }], ...extra } as PodSpec;
}

function defaulted(s: PodSpec, pod = true): PodSpec {
  defaultPodSpec(s, { pod });
  return s;
}

/** What the handler reports: the schema's generic errors, then the strategy's. */
function errors(s: PodSpec, options: Parameters<typeof validatePodSpec>[1] = {}): string[] {
  const d = defaulted(s, !options.isTemplate);
  return [...validateSchema(Pod, { spec: d }), ...validatePodSpec(d, options)].map(String);
}

Deno.test("imageTag() reports the tag as upstream ParseImageName", async (t) => {
  const cases: [string | undefined, string | null][] = [
    ["nginx", "latest"],
    ["nginx:latest", "latest"],
    ["nginx:1.25", "1.25"],
    ["registry.local:5000/team/app", "latest"],
    ["registry.local:5000/team/app:v2", "v2"],
    [`busybox@sha256:${"a".repeat(64)}`, ""],
    [`busybox:1.36@sha256:${"b".repeat(64)}`, "1.36"],
    ["Nginx", null],
    ["", null],
    [undefined, null],
  ];
  for (const [image, tag] of cases) {
    await t.step(`${image}`, () => assert.equal(imageTag(image), tag));
  }
});

Deno.test("defaultPodSpec() applies upstream's PodSpec and Container defaults", async (t) => {
  await t.step("pod-level scalars and securityContext", () => {
    const s = defaulted(spec());
    assert.equal(s.dnsPolicy, "ClusterFirst");
    assert.equal(s.restartPolicy, "Always");
    assert.deepEqual(s.securityContext, {});
    assert.equal(s.terminationGracePeriodSeconds, 30);
    assert.equal(s.schedulerName, "default-scheduler");
    assert.equal(s.enableServiceLinks, true);
  });
  await t.step("keeps values that are set", () => {
    const s = defaulted(
      spec({ restartPolicy: "Never", terminationGracePeriodSeconds: 0, enableServiceLinks: false }),
    );
    assert.equal(s.restartPolicy, "Never");
    assert.equal(s.terminationGracePeriodSeconds, 0);
    assert.equal(s.enableServiceLinks, false);
  });
  await t.step("container pull policy from the tag, termination message", () => {
    const s = defaulted({
      containers: [{ name: "a", image: "nginx" }, { name: "b", image: "nginx:1.25" }, {
        name: "c",
        image: "nginx:latest",
      }],
    } as PodSpec);
    assert.deepEqual(s.containers.map((c) => c.imagePullPolicy), [
      "Always",
      "IfNotPresent",
      "Always",
    ]);
    assert.equal(s.containers[0]?.terminationMessagePath, "/dev/termination-log");
    assert.equal(s.containers[0]?.terminationMessagePolicy, "File");
  });
  await t.step("probes and HTTP handlers", () => {
    const s = defaulted(spec({}, {
      readinessProbe: { httpGet: { port: 80 } },
      livenessProbe: { grpc: { port: 9000 } },
      lifecycle: { preStop: { httpGet: { port: "http" } } },
    }));
    const c = s.containers[0]!;
    assert.deepEqual(c.readinessProbe, {
      httpGet: { port: 80, path: "/", scheme: "HTTP" },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(c.livenessProbe?.grpc?.service, "");
    assert.deepEqual(c.lifecycle?.preStop?.httpGet, { port: "http", path: "/", scheme: "HTTP" });
  });
  await t.step(
    "ports get TCP; hostNetwork copies containerPort into hostPort for pods only",
    () => {
      const ports = [{ containerPort: 8080 }];
      const pod = defaulted(spec({ hostNetwork: true }, { ports: structuredClone(ports) }));
      assert.deepEqual(pod.containers[0]?.ports, [{
        containerPort: 8080,
        protocol: "TCP",
        hostPort: 8080,
      }]);
      const tmpl = defaulted(spec({ hostNetwork: true }, { ports: structuredClone(ports) }), false);
      assert.deepEqual(tmpl.containers[0]?.ports, [{ containerPort: 8080, protocol: "TCP" }]);
      assert.equal(tmpl.enableServiceLinks, undefined);
    },
  );
  await t.step("requests default to limits for pods, not templates", () => {
    const resources = { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } };
    const pod = defaulted(spec({}, { resources: structuredClone(resources) }));
    assert.deepEqual(pod.containers[0]?.resources?.requests, { cpu: "500m", memory: "1Gi" });
    const tmpl = defaulted(spec({}, { resources: structuredClone(resources) }), false);
    assert.deepEqual(tmpl.containers[0]?.resources?.requests, { cpu: "500m" });
  });
  await t.step("resource values round up to milli precision", () => {
    const s = defaulted(spec({}, { resources: { requests: { cpu: "0.0001" } } }));
    assert.equal(s.containers[0]?.resources?.requests?.cpu, "1m");
  });
  await t.step("volumes: emptyDir when sourceless, modes 420, hostPath type, token expiry", () => {
    const s = defaulted(spec({
      volumes: [
        { name: "a" },
        { name: "b", secret: { secretName: "s" } },
        { name: "c", configMap: { name: "c" } },
        {
          name: "d",
          downwardAPI: { items: [{ path: "n", fieldRef: { fieldPath: "metadata.name" } }] },
        },
        { name: "e", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
        { name: "f", hostPath: { path: "/data" } },
        {
          name: "g",
          ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"] } } },
        },
      ],
    }));
    const v = s.volumes!;
    assert.deepEqual(v[0], { name: "a", emptyDir: {} });
    assert.equal(v[1]?.secret?.defaultMode, 420);
    assert.equal(v[2]?.configMap?.defaultMode, 420);
    assert.equal(v[3]?.downwardAPI?.defaultMode, 420);
    assert.equal(v[3]?.downwardAPI?.items?.[0]?.fieldRef?.apiVersion, "v1");
    assert.equal(v[4]?.projected?.defaultMode, 420);
    assert.equal(v[4]?.projected?.sources?.[0]?.serviceAccountToken?.expirationSeconds, 3600);
    assert.equal(v[5]?.hostPath?.type, "");
    assert.equal(v[6]?.ephemeral?.volumeClaimTemplate?.spec.volumeMode, "Filesystem");
  });
  await t.step("serviceAccount mirrors serviceAccountName", () => {
    assert.equal(defaulted(spec({ serviceAccount: "old" })).serviceAccountName, "old");
    const both = defaulted(spec({ serviceAccount: "old", serviceAccountName: "new" }));
    assert.equal(both.serviceAccount, "new");
  });
});

Deno.test("defaultPodTemplateSpec() defaults an empty template without Pod-only fields", () => {
  const t: PodTemplateSpec = {};
  defaultPodTemplateSpec(t);
  assert.equal(t.spec?.restartPolicy, "Always");
  assert.equal(t.spec?.enableServiceLinks, undefined);
  assert.deepEqual(t.spec?.containers, []);
});

Deno.test("validatePodSpec() reports upstream's messages", async (t) => {
  const cases: { name: string; spec: PodSpec; template?: boolean; want: string[] }[] = [
    { name: "a valid spec", spec: spec(), want: [] },
    {
      name: "no containers",
      spec: { containers: [] } as PodSpec,
      want: ["spec.containers: Required value"],
    },
    {
      name: "container name and image",
      spec: { containers: [{ name: "Web_1" }] } as PodSpec,
      want: [
        "spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "spec.containers[0].image: Required value",
      ],
    },
    {
      name: "templates also require an image",
      spec: { containers: [{ name: "web" }] } as PodSpec,
      template: true,
      want: ["spec.containers[0].image: Required value"],
    },
    {
      name: "duplicate names across containers and init containers",
      spec: {
        containers: [{ name: "a", image: "x" }, { name: "a", image: "x" }],
        initContainers: [{ name: "a", image: "x" }],
      } as PodSpec,
      want: [
        'spec.containers[1].name: Duplicate value: "a"',
        'spec.initContainers[0].name: Duplicate value: "a"',
      ],
    },
    {
      name: "ports",
      spec: spec({}, {
        ports: [{ containerPort: 0 }, { containerPort: 70000, name: "http" }, {
          containerPort: 80,
          name: "http",
        }],
      }),
      want: [
        "spec.containers[0].ports[0].containerPort: Required value",
        "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[2].name: Duplicate value: "http"',
      ],
    },
    {
      name: "conflicting host ports",
      spec: {
        containers: [
          { name: "a", image: "x", ports: [{ containerPort: 80, hostPort: 8080 }] },
          { name: "b", image: "x", ports: [{ containerPort: 81, hostPort: 8080 }] },
        ],
      } as PodSpec,
      want: ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
    },
    {
      name: "hostNetwork needs hostPort to match in pods",
      spec: spec({ hostNetwork: true }, { ports: [{ containerPort: 80, hostPort: 81 }] }),
      want: [
        "spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true",
      ],
    },
    {
      name: "env names and sources",
      spec: spec({}, {
        env: [{ name: "A=B" }, {
          name: "X",
          value: "v",
          valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
        }, {
          name: "Y",
          valueFrom: { fieldRef: { fieldPath: "spec.bogus" } },
        }],
      }),
      want: [
        "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Invalid value: "spec.bogus": error converting fieldPath: field label not supported: spec.bogus',
      ],
    },
    {
      name: "envFrom needs one source",
      spec: spec({}, { envFrom: [{ prefix: "P_" }] }),
      want: [
        'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
      ],
    },
    {
      name: "volumes: duplicates, two sources, missing mounts, unique mountPaths",
      spec: spec({
        volumes: [{ name: "data", emptyDir: {} }, { name: "data", emptyDir: {} }, {
          name: "two",
          secret: { secretName: "s" },
          configMap: { name: "c" },
        }],
      }, { volumeMounts: [{ name: "data", mountPath: "/d" }, { name: "nope", mountPath: "/d" }] }),
      want: [
        'spec.volumes[1].name: Duplicate value: "data"',
        "spec.volumes[2].configMap: Forbidden: may not specify more than 1 volume type",
        'spec.containers[0].volumeMounts[1].name: Not found: "nope"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
      ],
    },
    {
      name: "secret volume fields",
      spec: spec({
        volumes: [{ name: "s", secret: { defaultMode: 512, items: [{ key: "k", path: "../x" }] } }],
      }),
      want: [
        "spec.volumes[0].secret.secretName: Required value",
        "spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive",
        "spec.volumes[0].secret.items[0].path: Invalid value: \"../x\": must not contain '..'",
      ],
    },
    {
      name: "requests above limits",
      spec: spec({}, { resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }),
      want: [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    },
    {
      name: "unknown resource names",
      spec: spec({}, { resources: { limits: { cpus: "1" } } }),
      want: [
        'spec.containers[0].resources.limits[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.limits[cpus]: Invalid value: "cpus": must be a standard resource for containers',
        'spec.containers[0].resources.requests[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.requests[cpus]: Invalid value: "cpus": must be a standard resource for containers',
      ],
    },
    {
      name: "extended resources must be integers and requests equal limits",
      spec: spec({}, {
        resources: { limits: { "example.com/gpu": "1" }, requests: { "example.com/gpu": "500m" } },
      }),
      want: [
        'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
        'spec.containers[0].resources.requests: Invalid value: "500m": must be equal to example.com/gpu limit of 1',
      ],
    },
    {
      name: "probe handlers and thresholds",
      spec: spec({}, {
        livenessProbe: { exec: { command: ["true"] }, httpGet: { port: 80 }, successThreshold: 2 },
        readinessProbe: { periodSeconds: -1, tcpSocket: { port: "Bad" } },
        startupProbe: {},
      }),
      want: [
        "spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type",
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
        'spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: "Bad": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.containers[0].startupProbe: Required value: must specify a handler type",
      ],
    },
    {
      name: "init containers may not have probes without restartPolicy Always",
      spec: spec({
        initContainers: [{
          name: "init",
          image: "x",
          readinessProbe: { exec: { command: ["x"] } },
        }],
      }),
      want: [
        "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
      ],
    },
    {
      name: "restartPolicy on a regular container",
      spec: spec({}, { restartPolicy: "Always" }),
      want: ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"],
    },
    {
      name: "tolerations",
      spec: spec({
        tolerations: [{ operator: "Equal", value: "x" }, {
          key: "k",
          operator: "Exists",
          value: "v",
        }, {
          key: "k",
          tolerationSeconds: 5,
          effect: "NoSchedule",
        }],
      }),
      want: [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        // Upstream prints the whole core.Toleration struct here.
        'spec.tolerations[1].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\'',
        "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      ],
    },
    {
      name: "nodeSelector labels",
      spec: spec({ nodeSelector: { "a/b/c": "x" } }),
      want: [
        "spec.nodeSelector: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    },
    {
      name: "dnsPolicy None needs dnsConfig",
      spec: spec({ dnsPolicy: "None" }),
      want: ["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"],
    },
    {
      name: "dnsConfig nameservers",
      spec: spec({ dnsConfig: { nameservers: ["1.1.1.1", "bad"], options: [{}] } }),
      want: [
        'spec.dnsConfig.nameservers[1]: Invalid value: "bad": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        "spec.dnsConfig.options[0]: Required value: must not be empty",
      ],
    },
    {
      name: "affinity terms",
      spec: spec({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In" }] }],
            },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }],
          },
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "" }],
          },
        },
      }),
      want: [
        // The schema reports the empty required topologyKey; the strategy the label-name rule.
        "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value",
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
        'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must be non-empty',
        `spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    },
    {
      name: "topology spread constraints",
      spec: spec({
        topologySpreadConstraints: [
          { maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway", minDomains: 2 },
          { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway" },
        ],
      }),
      want: [
        "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
        'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, ScheduleAnyway}"',
        "spec.topologySpreadConstraints[0].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
      ],
    },
    {
      name: "hostAliases",
      spec: spec({ hostAliases: [{ ip: "10.0.0.300", hostnames: ["ok.example"] }] }),
      want: [
        'spec.hostAliases[0].ip: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    },
    {
      name: "security context ranges",
      spec: spec({ securityContext: { runAsUser: -1, fsGroup: 3000000000 } }, {
        securityContext: { runAsGroup: -5, allowPrivilegeEscalation: false, privileged: true },
      }),
      want: [
        "spec.containers[0].securityContext.runAsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive",
        'spec.containers[0].securityContext: Invalid value: {"runAsGroup":-5,"allowPrivilegeEscalation":false,"privileged":true}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
        "spec.securityContext.fsGroup: Invalid value: 3000000000: must be between 0 and 2147483647, inclusive",
        "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
      ],
    },
    {
      name: "activeDeadlineSeconds, grace period, names",
      spec: spec({ activeDeadlineSeconds: 0, serviceAccountName: "Bad!", hostname: "a.b" }),
      want: [
        "spec.serviceAccountName: Invalid value: \"Bad!\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
        "spec.hostname: Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
    {
      name: "scheduling gates",
      spec: spec({ schedulingGates: [{ name: "example.com/a" }, { name: "example.com/a" }] }),
      want: ['spec.schedulingGates[1]: Duplicate value: "example.com/a"'],
    },
    {
      name: "a linux pod may not set windows options",
      spec: spec({ os: { name: "linux" } }, { securityContext: { windowsOptions: {} } }),
      want: [
        "spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod",
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(
        errors(c.spec, { path: "spec", ...(c.template ? { isTemplate: true } : {}) }),
        c.want,
      );
    });
  }
});

Deno.test("validatePodSpec() relaxes the hostNetwork hostPort rule for templates", () => {
  const s = spec({ hostNetwork: true }, { ports: [{ containerPort: 80 }] });
  assert.deepEqual(errors(s, { isTemplate: true }), []);
});

Deno.test("validatePodTemplateSpec() checks labels, annotations, the spec and ephemeral containers", () => {
  const template = {
    metadata: { labels: { app: "-bad-" } },
    spec: {
      containers: [{ name: "web", image: "x" }],
      ephemeralContainers: [{ name: "dbg", image: "x" }],
    },
  } as PodTemplateSpec;
  defaultPodTemplateSpec(template);
  const got = validatePodTemplateSpec(template, { path: "spec.template" }).map(String);
  assert.deepEqual(got, [
    "spec.template.labels: Invalid value: \"-bad-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template",
  ]);
});
