/**
 * Container logs as `kubectl logs` reads them: the CRI log line format
 * ({@linkcode parseCriLogLine}, {@linkcode PartialLineJoiner}), the kubelet's log file layout
 * ({@linkcode podLogDirectory}, {@linkcode containerLogFile}) and
 * {@linkcode readContainerLogs} with tail, since, timestamps, byte limit and follow.
 *
 * @module
 */
export * from "./cri_log_parser.ts";
export * from "./log_files.ts";
export * from "./log_reader.ts";
