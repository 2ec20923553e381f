/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { z } from "zod";
import { createVerifier, verifierFromEnv } from "../_shared/auth.ts";
import { connect } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { storageClient, StorageEnv } from "../_shared/storage.ts";
import { purger } from "./routes.ts";

const PurgeEnv = BaseEnv.extend(StorageEnv.shape).extend({ DISPATCH_SECRET: z.string().min(32) });
const env = readEnv(PurgeEnv, runtimeEnv(), "function documents-purge");
Deno.serve(purger.handler({
  sql: connect(env.SUPABASE_DB_URL, "groundwork:documents-purge"),
  storage: storageClient(env),
  verify: createVerifier(verifierFromEnv(env)),
  secret: env.DISPATCH_SECRET,
}, { reportMetrics: true }));
