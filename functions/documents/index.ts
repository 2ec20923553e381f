/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { createRuntime } from "../_shared/runtime.ts";
import { storageClient, StorageEnv } from "../_shared/storage.ts";
import { documents } from "./routes.ts";

const env = readEnv(BaseEnv.extend(StorageEnv.shape), runtimeEnv(), "function documents");
Deno.serve(documents.handler({ ...createRuntime("documents"), storage: storageClient(env) }, { reportMetrics: true }));
