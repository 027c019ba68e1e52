/**
 * Shared utilities every part of skiff may use: an injectable {@linkcode Clock}, a structured
 * {@linkcode Logger}, output writers, atomic file writes, and CronJob schedules
 * ({@linkcode parseCronSchedule}, which the API validates with and the CronJob controller
 * runs by) with the {@linkcode TimeZone} arithmetic they need. This folder imports nothing else
 * of skiff's.
 *
 * @example Log with a fake clock
 * ```ts
 * import { BufferWriter, FakeClock, JsonLogger } from "./mod.ts";
 *
 * const log = new JsonLogger({ writer: new BufferWriter(), clock: new FakeClock() });
 * log.info("Starting", { component: "example" });
 * ```
 *
 * @module
 */
export * from "./clock.ts";
export * from "./logger.ts";
export * from "./writer.ts";
export * from "./atomic_file.ts";
export * from "./read_text_file_if_present.ts";
export * from "./query_reader.ts";
export * from "./bytes.ts";
export * from "./go_json.ts";
export * from "./cron_schedule.ts";
export * from "./k8s_time.ts";
export * from "./time_zone.ts";
export * from "./http1_connection.ts";
export * from "./http1_response_body.ts";
export * from "./http1_upgrade_client.ts";
export * from "./tls_http1_server.ts";
export * from "./websocket/mod.ts";
export * from "./x509/mod.ts";
export * from "./spdy/mod.ts";
export * from "./glibc_malloc.ts";
export * from "./v8_gc.ts";
