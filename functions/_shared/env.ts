/**
 * Environment, read once at start-up and validated with zod. A missing or malformed variable
 * stops the function with a message that names it.
 */
import { z } from "zod";

type EnvSource = Record<string, string | undefined>;

/** The process environment under Deno (edge runtime) or Node (tests). */
export function runtimeEnv(): EnvSource {
  const deno = (globalThis as { Deno?: { env: { toObject(): Record<string, string> } } }).Deno;
  if (deno) return deno.env.toObject();
  const proc = (globalThis as { process?: { env: EnvSource } }).process;
  return proc?.env ?? {};
}

export class EnvError extends Error {
  override name = "EnvError";
}

/** Variables every function gets from Supabase (hosted, `supabase start` and the native stack). */
export const BaseEnv = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// connection URL"),
  /** HS256 secret of legacy JWTs. Without it, only tokens signed by a key in the JWKS verify. */
  SUPABASE_JWT_SECRET: z.string().min(32).optional(),
  /** Where the JWKS lives; defaults to Supabase Auth's at <SUPABASE_URL>/auth/v1/.well-known/jwks.json. */
  SUPABASE_JWKS_URL: z.url().optional(),
});
export type BaseEnv = z.infer<typeof BaseEnv>;

/** Validates the environment against a schema; throws EnvError naming each bad variable. */
export function readEnv<S extends z.ZodObject>(
  schema: S,
  source: EnvSource = runtimeEnv(),
  owner = "this function",
): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "(environment)");
    return source[name] === undefined || source[name] === ""
      ? `${name} is not set`
      : `${name} is invalid (${issue.message})`;
  });
  throw new EnvError(`Cannot start ${owner}: ${problems.join("; ")}.`);
}
