/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { createRuntime } from "../_shared/runtime.ts";
import { health } from "./routes.ts";

Deno.serve(health.handler({ sql: createRuntime("health").sql }));
