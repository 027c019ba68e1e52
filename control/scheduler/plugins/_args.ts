/**
 * Plugin args validation shared by the factories: zod schemas in, a `TypeError` naming the
 * plugin out.
 *
 * @module
 */
import { z } from "zod";
import { formatIssues } from "../profile.ts";

/** The args of a plugin that takes none: absent, or an empty object. */
export const NO_ARGS = z.object({}).strict().optional();

/** A resource with a weight, as in `NodeResourcesFitArgs.scoringStrategy.resources`. */
export const ResourceSpecSchema = z.object({
  name: z.string().min(1, "must not be empty"),
  weight: z.number().int().min(1).max(100),
}).strict();

/** A resource name and its weight in scoring. */
export type ResourceSpec = z.infer<typeof ResourceSpecSchema>;

/** CPU and memory with weight 1 each: the default scoring resources. */
export const DEFAULT_RESOURCE_SPECS: readonly ResourceSpec[] = Object.freeze([
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 },
]);

/**
 * `args` parsed with `schema`.
 *
 * @throws {TypeError} `Invalid args for plugin "<plugin>": <issues>`.
 */
export function parseArgs<S extends z.ZodType>(
  plugin: string,
  parse: { readonly schema: S; readonly args: unknown },
): z.output<S> {
  const result = parse.schema.safeParse(parse.args);
  if (!result.success) {
    throw new TypeError(`Invalid args for plugin "${plugin}": ${formatIssues(result.error)}`);
  }
  return result.data;
}
