/**
 * containerd for the node agent: the config skiff renders for it ({@linkcode renderContainerdConfig},
 * {@linkcode containerdLayout}), the {@linkcode ContainerdSupervisor} that runs and restarts it
 * as a child process (or waits for an external one), and the process-spawning and
 * command-running dependencies it takes.
 *
 * @module
 */
export * from "./config.ts";
export * from "./supervisor.ts";
export * from "./process_spawner.ts";
export * from "./command_runner.ts";
export * from "./capabilities.ts";
export * from "./processes.ts";
