/** Wiring: the environment, read and checked once at start-up, then the route table served. */
import { createRuntime } from "../_shared/runtime.ts";
import { notifications } from "./routes.ts";

Deno.serve(notifications.handler(createRuntime("notifications"), { reportMetrics: true }));
