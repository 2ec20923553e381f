/**
 * email-dispatch: drains the email outbox. Callable only with the service role's JWT or the
 * dispatcher secret (x-dispatch-secret). Each run claims batches with a lease (for update skip
 * locked), renders each message, sends it and records the outcome; failures are retried with
 * exponential backoff and jitter, and die after max_attempts. A run that dies mid-batch loses
 * nothing: its leases expire and the next run claims those messages again.
 */
import type { z } from "zod";
import { type Ctx, defineRoute, FunctionApp, serviceOrSecret } from "../_shared/app.ts";
import type { Verifier } from "../_shared/auth.ts";
import { json } from "../_shared/http.ts";
import { dispatch, type DispatchDeps } from "./dispatch.ts";
import { DispatchRequest, DispatchResult } from "./schemas.ts";

export interface DispatchFunctionDeps extends DispatchDeps {
  verify: Verifier;
  secret: string;
}

export const routes = {
  drainOutbox: defineRoute({
    name: "drainOutbox",
    method: "post",
    path: "/",
    summary: "Send what the email outbox holds (pg_net, pg_cron and the native waker call this)",
    access: "public",
    limited: false,
    security: ["bearer", "dispatchSecret"],
    middleware: [serviceOrSecret("dispatch")],
    body: DispatchRequest,
    bodyRequired: false,
    responses: { 200: { description: "What this run claimed, sent, retried and gave up", schema: DispatchResult } },
  }),
};

async function drainOutbox(c: Ctx<DispatchFunctionDeps>, { body }: { body: z.output<typeof DispatchRequest> }) {
  const result = await dispatch(c.env, body);
  c.var.log.info("dispatched", { ...result });
  return json(result);
}

export const dispatcher = new FunctionApp<DispatchFunctionDeps>({
  name: "email-dispatch",
  description: "Drains the email outbox under leases, with retries, backoff and dead letters.",
  maxBodyBytes: 4096,
}).route(routes.drainOutbox, drainOutbox);
