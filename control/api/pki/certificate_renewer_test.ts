import assert from "node:assert/strict";
import tls from "node:tls";
import { parse } from "yaml";
import { FakeClock, MAX_TIMER_DELAY_MS, type TimerHandle } from "../../util/clock.ts";
import { RecordingLogger } from "../../util/logger.ts";
import { AuthenticationError } from "../auth/authenticator.ts";
import { X509Authenticator } from "../auth/x509_authenticator.ts";
import { startHttpsServer } from "../https_server.ts";
import { CertificateRenewer, RENEWAL_RETRY_MS } from "./certificate_renewer.ts";
import { createCa, LEAF_LIFETIME_MS, serialNumberHex } from "../../util/x509/certificates.ts";
import {
  type ClusterPki,
  type ClusterPkiOptions,
  ensureClusterPki,
  RENEW_BEFORE_MS,
} from "./cluster_pki.ts";

const DAY_MS = 24 * 3600 * 1000;
/** The longest delay a runtime timer takes. */
const T0 = Date.parse("2026-12-01T00:00:00Z");

/** A FakeClock that remembers the delay of every timer asked of it. */
class RecordingClock extends FakeClock {
  readonly delays: number[] = [];

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    this.delays.push(ms);
    return super.setTimeout(fn, ms);
  }
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir();
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

function pkiOptions(dataDir: string): Omit<ClusterPkiOptions, "now"> {
  return {
    dataDir,
    dnsNames: ["localhost", "kubernetes"],
    ipAddresses: ["127.0.0.1"],
    serverUrl: "https://127.0.0.1:6443",
  };
}

function serial(pki: ClusterPki, which: "serving" | "admin" | "kubeletClient"): string {
  return serialNumberHex(pki[which].certificate);
}

/** A serial as `node:tls` shows it: hex without leading zeros. */
function tlsSerial(hex: string): string {
  return hex.replace(/^0+/, "");
}

function endMs(pki: ClusterPki, which: "serving" | "admin"): number {
  return pki[which].certificate.notAfter.value.getTime();
}

interface Running {
  readonly renewer: CertificateRenewer;
  readonly clock: RecordingClock;
  readonly logger: RecordingLogger;
  readonly renewed: ClusterPki[];
  readonly pki: ClusterPki;
  stop(): Promise<void>;
}

async function startRenewer(
  dataDir: string,
  options: { startMs?: number; onRenewed?: (pki: ClusterPki) => void } = {},
): Promise<Running> {
  const clock = new RecordingClock(options.startMs ?? T0);
  const logger = new RecordingLogger();
  const pki = await ensureClusterPki({ ...pkiOptions(dataDir), now: new Date(clock.now()) });
  const renewed: ClusterPki[] = [];
  const renewer = new CertificateRenewer({
    ...pkiOptions(dataDir),
    pki,
    clock,
    logger,
    onRenewed: (next) => {
      renewed.push(next);
      options.onRenewed?.(next);
    },
  });
  const controller = new AbortController();
  const done = renewer.run(controller.signal);
  await renewer.whenIdle();
  return {
    renewer,
    clock,
    logger,
    renewed,
    pki,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Moves the clock to `ms` and waits for the renewal it may start. */
async function advanceTo(r: Running, ms: number): Promise<void> {
  r.clock.advance(ms - r.clock.now());
  await r.renewer.whenIdle();
}

Deno.test("CertificateRenewer renews the leaves 90 days before they end, rewriting the files", async () => {
  await using dir = await tempDir();
  const r = await startRenewer(dir.path);
  try {
    const dueMs = endMs(r.pki, "serving") - RENEW_BEFORE_MS;
    assert.equal(dueMs, T0 + LEAF_LIFETIME_MS - RENEW_BEFORE_MS);
    assert.equal(r.renewer.nextRenewalMs, dueMs);
    assert.equal(r.clock.pendingTimers, 1);
    assert.deepEqual(r.logger.messages("info"), [
      "Issued certificate",
      "Issued certificate",
      "Issued certificate",
      "Issued certificate",
      "Starting certificate renewer",
    ]);

    await advanceTo(r, dueMs - 1);
    assert.deepEqual(r.renewed, []);
    assert.equal(await Deno.readTextFile(`${dir.path}/tls/serving.crt`), r.pki.serving.certPem);

    await advanceTo(r, dueMs);
    assert.equal(r.renewed.length, 1);
    const next = r.renewer.current;
    assert.equal(r.renewed[0], next);
    assert.deepEqual(next.issued, [
      { file: "serving", reason: "expiring" },
      { file: "client-admin", reason: "expiring" },
      { file: "client-kube-apiserver", reason: "expiring" },
    ]);
    assert.equal(next.ca, r.pki.ca);
    assert.notEqual(serial(next, "serving"), serial(r.pki, "serving"));
    assert.notEqual(serial(next, "admin"), serial(r.pki, "admin"));
    assert.equal(endMs(next, "serving"), dueMs + LEAF_LIFETIME_MS);
    assert.equal(endMs(next, "admin"), dueMs + LEAF_LIFETIME_MS);
    const files = {
      serving: await Deno.readTextFile(`${dir.path}/tls/serving.crt`),
      servingKey: await Deno.readTextFile(`${dir.path}/tls/serving.key`),
      admin: await Deno.readTextFile(`${dir.path}/tls/client-admin.crt`),
      kubeletClient: await Deno.readTextFile(`${dir.path}/tls/client-kube-apiserver.crt`),
      ca: await Deno.readTextFile(`${dir.path}/tls/server-ca.crt`),
    };
    assert.deepEqual(files, {
      serving: next.serving.certPem,
      servingKey: next.serving.keyPem,
      admin: next.admin.certPem,
      kubeletClient: next.kubeletClient.certPem,
      ca: r.pki.ca.certPem,
    });
    assert.equal((await Deno.stat(`${dir.path}/tls/serving.key`)).mode! & 0o777, 0o600);
    const kubeconfigPath = `${dir.path}/kubeconfig.yaml`;
    assert.equal((await Deno.stat(kubeconfigPath)).mode! & 0o777, 0o600);
    const kc = parse(await Deno.readTextFile(kubeconfigPath));
    assert.equal(atob(kc.users[0].user["client-certificate-data"]), next.admin.certPem);
    assert.equal(atob(kc.users[0].user["client-key-data"]), next.admin.keyPem);
    const logged = r.logger.records.filter((l) => l.msg === "Renewed certificate");
    assert.deepEqual(logged.map((l) => [l.fields.certificate, l.fields.serial]), [
      ["serving", serial(next, "serving")],
      ["client-admin", serial(next, "admin")],
      ["client-kube-apiserver", serial(next, "kubeletClient")],
    ]);

    // The next renewal is a year later; nothing else happens in between.
    assert.equal(r.renewer.nextRenewalMs, dueMs + LEAF_LIFETIME_MS - RENEW_BEFORE_MS);
    await advanceTo(r, r.renewer.nextRenewalMs - 1);
    assert.equal(r.renewed.length, 1);
    await advanceTo(r, r.renewer.nextRenewalMs);
    assert.equal(r.renewed.length, 2);
    assert.deepEqual(r.logger.messages("error"), []);
    assert.deepEqual(r.logger.messages("warn"), []);
  } finally {
    await r.stop();
  }
  assert.equal(r.clock.pendingTimers, 0);
  assert.equal(r.logger.messages().at(-1), "Shutting down certificate renewer");
});

Deno.test("CertificateRenewer chains timers for waits beyond 2^31-1 ms", async () => {
  await using dir = await tempDir();
  const r = await startRenewer(dir.path);
  try {
    const waitMs = r.renewer.nextRenewalMs - T0; // 275 days
    assert.deepEqual(r.clock.delays, [MAX_TIMER_DELAY_MS]);
    await advanceTo(r, r.renewer.nextRenewalMs);
    assert.equal(r.renewed.length, 1);
    // 275 days = 11 full links and the rest; the renewal arms the next wait.
    const links = r.clock.delays.slice(0, -1);
    assert.equal(links.length, Math.ceil(waitMs / MAX_TIMER_DELAY_MS));
    assert.ok(r.clock.delays.every((d) => d >= 0 && d <= MAX_TIMER_DELAY_MS));
    assert.equal(links.reduce((a, b) => a + b, 0), waitMs);
    assert.equal(r.clock.pendingTimers, 1);
  } finally {
    await r.stop();
  }
});

Deno.test("CertificateRenewer: the old admin certificate authenticates until it ends", async () => {
  await using dir = await tempDir();
  const r = await startRenewer(dir.path);
  try {
    const authenticator = new X509Authenticator({
      cas: () => [r.renewer.current.ca.certificate],
      clock: r.clock,
    });
    const request = new Request("https://127.0.0.1/api");
    const authenticate = (der: Uint8Array) =>
      authenticator.authenticate(request, { peerCertificate: der, connectionKey: {} });
    await advanceTo(r, r.renewer.nextRenewalMs);
    const old = r.pki.admin;
    const fresh = r.renewer.current.admin;
    assert.notEqual(fresh.certPem, old.certPem);
    const admin = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };
    assert.deepEqual(await authenticate(old.der), admin);
    assert.deepEqual(await authenticate(fresh.der), admin);
    // Just before and after the old one ends.
    await advanceTo(r, endMs(r.pki, "admin") - 1000);
    assert.deepEqual(await authenticate(old.der), admin);
    await advanceTo(r, endMs(r.pki, "admin") + 1000);
    await assert.rejects(authenticate(old.der), AuthenticationError);
    assert.deepEqual(await authenticate(fresh.der), admin);
  } finally {
    await r.stop();
  }
});

Deno.test("CertificateRenewer renews at start what a restart finds near its end", async (t) => {
  await t.step("ensureClusterPki() at start, then the renewer logs it", async () => {
    await using dir = await tempDir();
    const first = await ensureClusterPki({ ...pkiOptions(dir.path), now: new Date(T0) });
    const restartMs = T0 + 300 * DAY_MS;
    const r = await startRenewer(dir.path, { startMs: restartMs });
    try {
      assert.deepEqual(r.pki.issued, [
        { file: "serving", reason: "expiring" },
        { file: "client-admin", reason: "expiring" },
        { file: "client-kube-apiserver", reason: "expiring" },
      ]);
      assert.equal(r.pki.ca.certPem, first.ca.certPem);
      assert.notEqual(serial(r.pki, "serving"), serial(first, "serving"));
      const issued = r.logger.records.filter((l) => l.msg === "Issued certificate");
      assert.deepEqual(
        issued.map((l) => [l.fields.certificate, l.fields.reason, l.fields.serial]),
        [
          ["serving", "expiring", serial(r.pki, "serving")],
          ["client-admin", "expiring", serial(r.pki, "admin")],
          ["client-kube-apiserver", "expiring", serial(r.pki, "kubeletClient")],
        ],
      );
      assert.equal(r.renewer.nextRenewalMs, restartMs + LEAF_LIFETIME_MS - RENEW_BEFORE_MS);
      assert.deepEqual(r.renewed, []);
    } finally {
      await r.stop();
    }
  });
  await t.step("the renewer itself, given certificates already due", async () => {
    await using dir = await tempDir();
    const pki = await ensureClusterPki({ ...pkiOptions(dir.path), now: new Date(T0) });
    const clock = new FakeClock(T0 + 300 * DAY_MS);
    const renewed: ClusterPki[] = [];
    const renewer = new CertificateRenewer({
      ...pkiOptions(dir.path),
      pki,
      clock,
      logger: new RecordingLogger(),
      onRenewed: (next) => void renewed.push(next),
    });
    const controller = new AbortController();
    const done = renewer.run(controller.signal);
    await renewer.whenIdle();
    assert.equal(renewed.length, 1);
    assert.equal(endMs(renewer.current, "serving"), clock.now() + LEAF_LIFETIME_MS);
    assert.equal(
      await Deno.readTextFile(`${dir.path}/tls/serving.crt`),
      renewer.current.serving.certPem,
    );
    controller.abort();
    await done;
  });
});

Deno.test("CertificateRenewer retries a failed renewal later", async () => {
  await using dir = await tempDir();
  const r = await startRenewer(dir.path);
  try {
    const dueMs = r.renewer.nextRenewalMs;
    await Deno.remove(`${dir.path}/tls`, { recursive: true });
    await advanceTo(r, dueMs);
    assert.deepEqual(r.renewed, []);
    assert.deepEqual(r.logger.messages("error"), ["Cannot renew certificates"]);
    assert.equal(r.renewer.current.serving, r.pki.serving);
    assert.equal(r.clock.pendingTimers, 1);
    assert.equal(r.clock.delays.at(-1), RENEWAL_RETRY_MS);

    await Deno.mkdir(`${dir.path}/tls`, { mode: 0o700 });
    await advanceTo(r, dueMs + RENEWAL_RETRY_MS - 1);
    assert.deepEqual(r.renewed, []);
    await advanceTo(r, dueMs + RENEWAL_RETRY_MS);
    assert.equal(r.renewed.length, 1);
    assert.equal(
      await Deno.readTextFile(`${dir.path}/tls/serving.crt`),
      r.renewer.current.serving.certPem,
    );
    assert.equal(
      r.renewer.nextRenewalMs,
      dueMs + RENEWAL_RETRY_MS + LEAF_LIFETIME_MS - RENEW_BEFORE_MS,
    );
  } finally {
    await r.stop();
  }
});

Deno.test("CertificateRenewer logs a failure to take renewed certificates into use", async () => {
  await using dir = await tempDir();
  const r = await startRenewer(dir.path, {
    onRenewed: () => {
      throw new Error("listener gone");
    },
  });
  try {
    await advanceTo(r, r.renewer.nextRenewalMs);
    assert.deepEqual(r.logger.messages("error"), ["Cannot take renewed certificates into use"]);
    // The files are renewed all the same, and the next renewal is a year on.
    assert.equal(r.renewed.length, 1);
    assert.equal(
      await Deno.readTextFile(`${dir.path}/tls/serving.crt`),
      r.renewed[0]!.serving.certPem,
    );
    assert.equal(r.clock.pendingTimers, 1);
  } finally {
    await r.stop();
  }
});

Deno.test("CertificateRenewer warns once the CA has less than a year left", async () => {
  await using dir = await tempDir();
  // A CA with 400 days left: leaves get 365 days, then are cut at the CA's end.
  await Deno.mkdir(`${dir.path}/tls`, { recursive: true, mode: 0o700 });
  const ca = await createCa({
    commonName: "short-ca",
    now: new Date(T0),
    lifetimeMs: 400 * DAY_MS,
  });
  await Deno.writeTextFile(`${dir.path}/tls/server-ca.key`, ca.keyPem, { mode: 0o600 });
  await Deno.writeTextFile(`${dir.path}/tls/server-ca.crt`, ca.certPem);
  const r = await startRenewer(dir.path);
  try {
    assert.deepEqual(r.logger.messages("warn"), []);
    const caEndMs = ca.certificate.notAfter.value.getTime();
    await advanceTo(r, caEndMs - 365 * DAY_MS - 1);
    assert.deepEqual(r.logger.messages("warn"), []);
    await advanceTo(r, caEndMs - 365 * DAY_MS);
    const warnings = r.logger.records.filter((l) => l.level === "warn");
    assert.deepEqual(warnings.map((w) => [w.msg, w.fields.daysLeft, w.fields.caNotAfter]), [[
      "Cluster CA expires soon: certificates cannot be renewed beyond it",
      365,
      new Date(caEndMs).toISOString(),
    ]]);

    await advanceTo(r, T0 + LEAF_LIFETIME_MS - RENEW_BEFORE_MS);
    assert.equal(r.renewed.length, 1);
    assert.equal(endMs(r.renewer.current, "serving"), caEndMs);
    assert.equal(r.renewer.nextRenewalMs, Infinity);
    // The warning repeats at every link of the chain: never more than 2^31-1 ms apart.
    const times: number[] = [];
    const warn = r.logger.warn.bind(r.logger);
    r.logger.warn = (msg, fields) => {
      times.push(r.clock.now());
      warn(msg, fields);
    };
    await advanceTo(r, caEndMs);
    const renewedMs = T0 + LEAF_LIFETIME_MS - RENEW_BEFORE_MS;
    assert.equal(times.length, Math.ceil((caEndMs - renewedMs) / MAX_TIMER_DELAY_MS));
    for (let i = 1; i < times.length; i++) {
      assert.ok(times[i]! - times[i - 1]! <= MAX_TIMER_DELAY_MS);
    }
    assert.equal(times.at(-1), caEndMs);
    assert.equal(r.logger.records.at(-1)?.fields.daysLeft, 0);
    assert.equal(r.clock.pendingTimers, 0);
  } finally {
    await r.stop();
  }
});

Deno.test("CertificateRenewer.run() stops on abort and runs once", async () => {
  await using dir = await tempDir();
  const r = await startRenewer(dir.path);
  assert.equal(r.clock.pendingTimers, 1);
  await assert.rejects(
    r.renewer.run(new AbortController().signal),
    /^Error: Cannot run certificate renewer: it is already running$/,
  );
  await r.stop();
  assert.equal(r.clock.pendingTimers, 0);
  r.clock.advance(400 * DAY_MS);
  assert.deepEqual(r.renewed, []);
  assert.deepEqual(r.logger.messages().slice(-2), [
    "Starting certificate renewer",
    "Shutting down certificate renewer",
  ]);
});

interface Probe {
  readonly socket: tls.TLSSocket;
  readonly serial: string;
}

function connect(port: number, caPem: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: caPem, ALPNProtocols: ["http/1.1"] });
    socket.once("secureConnect", () => {
      resolve({ socket, serial: socket.getPeerCertificate().serialNumber.toUpperCase() });
    });
    socket.once("error", reject);
  });
}

/** Sends one keep-alive request on `socket` and resolves with the response body. */
function get(socket: tls.TLSSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    function onData(chunk: Uint8Array | string): void {
      text += typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      const head = text.indexOf("\r\n\r\n");
      const length = /content-length: *(\d+)/i.exec(text)?.[1];
      if (head >= 0 && length !== undefined && text.length >= head + 4 + Number(length)) {
        socket.off("data", onData);
        resolve(text.slice(head + 4));
      }
    }
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

Deno.test("CertificateRenewer swaps the serving certificate of a live listener", async () => {
  await using dir = await tempDir();
  // Certificates from 275 days ago (less a minute), so both the old and the renewed one are
  // valid for a TLS client on the real clock.
  const startMs = Date.now() - (LEAF_LIFETIME_MS - RENEW_BEFORE_MS) - 60_000;
  let swap: (pki: ClusterPki) => void = () => {};
  const r = await startRenewer(dir.path, { startMs, onRenewed: (next) => swap(next) });
  const server = await startHttpsServer({
    app: { fetch: (req) => new Response(`ok ${new URL(req.url).pathname}`) },
    port: 0,
    hostname: "127.0.0.1",
    certPem: r.pki.serving.certPem,
    keyPem: r.pki.serving.keyPem,
    logger: new RecordingLogger(),
  });
  swap = (next) => server.setCertificate(next.serving.certPem, next.serving.keyPem);
  const sockets: tls.TLSSocket[] = [];
  try {
    const before = await connect(server.port, r.pki.ca.certPem);
    sockets.push(before.socket);
    assert.equal(before.serial, tlsSerial(serial(r.pki, "serving")));
    assert.equal(await get(before.socket, "/a"), "ok /a");

    await advanceTo(r, r.renewer.nextRenewalMs);
    assert.equal(r.renewed.length, 1);
    const after = await connect(server.port, r.pki.ca.certPem);
    sockets.push(after.socket);
    assert.equal(after.serial, tlsSerial(serial(r.renewer.current, "serving")));
    assert.notEqual(after.serial, before.serial);
    assert.equal(await get(after.socket, "/b"), "ok /b");
    // The connection opened before the swap keeps working, with its certificate.
    assert.equal(await get(before.socket, "/c"), "ok /c");
    assert.equal(before.socket.getPeerCertificate().serialNumber.toUpperCase(), before.serial);
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
    await r.stop();
  }
});
