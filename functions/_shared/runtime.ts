/**
 * What a function needs from its environment, built once per process: the validated env, the
 * database pool and the JWT verifier.
 */
import { createVerifier, type Verifier, verifierFromEnv } from "./auth.ts";
import { connect, type Sql } from "./db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "./env.ts";

export interface Runtime {
  env: BaseEnv;
  sql: Sql;
  verify: Verifier;
}

/** Reads and validates the environment now (start-up), connecting lazily on first query. */
export function createRuntime(name: string): Runtime {
  const env = readEnv(BaseEnv, runtimeEnv(), `function ${name}`);
  return { env, sql: connect(env.SUPABASE_DB_URL, `groundwork:${name}`), verify: createVerifier(verifierFromEnv(env)) };
}
