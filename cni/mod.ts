/**
 * skiff's CNI plugin (not built yet): when `CNI_COMMAND` is set, the skiff binary acts as a
 * bridge + host-local IPAM CNI plugin, reading the network config on stdin and answering ADD,
 * DEL, CHECK and VERSION on stdout. It runs as a short-lived process per call, so it imports
 * only `control/util`.
 *
 * @module
 */
export {};
