/** Wiring: nothing to read from the environment; the route table served. */
import { docs } from "./routes.ts";

Deno.serve(docs.handler({}));
