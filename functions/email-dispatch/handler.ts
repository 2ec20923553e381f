/**
 * email-dispatch: drains the email outbox. Callable only with the service role's JWT or the
 * dispatcher secret (x-dispatch-secret). Each run claims batches with a lease (for update skip
 * locked), renders each message, sends it and records the outcome; failures are retried with
 * exponential backoff and jitter, and die after max_attempts. A run that dies mid-batch loses
 * nothing: its leases expire and the next run claims those messages again.
 */
import { z } from "zod";
import { bearerToken, createVerifier, type Verifier, verifierFromEnv } from "../_shared/auth.ts";
import { safeEqual } from "../_shared/crypto.ts";
import { connect } from "../_shared/db.ts";
import { EmailEnv, transportFromEnv } from "../_shared/email/transport.ts";
import { dispatch, type DispatchDeps, DispatchRequest } from "./dispatch.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { forbidden, unauthorized } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readJson } from "../_shared/http.ts";

export { dispatch, type DispatchDeps, DispatchRequest, DispatchResult } from "./dispatch.ts";

/** Allows the service role's JWT or the dispatcher secret, nothing else. */
async function authorize(request: Request, verify: Verifier, secret: string): Promise<void> {
  const given = request.headers.get("x-dispatch-secret");
  if (given !== null) {
    if (await safeEqual(given, secret)) return;
    throw unauthorized("Cannot dispatch: the dispatcher secret is wrong");
  }
  const token = bearerToken(request);
  if (!token) throw unauthorized("Cannot dispatch: send the service role's JWT or x-dispatch-secret");
  const claims = await verify(token);
  if (claims.role !== "service_role") throw forbidden("Cannot dispatch: only the service role may drain the outbox");
}

export interface DispatchHandlerDeps extends DispatchDeps {
  verify: Verifier;
  secret: string;
}

export function createDispatchHandler(deps: DispatchHandlerDeps): Handler {
  return createHandler({ name: "email-dispatch", methods: ["POST"], maxBodyBytes: 4096 }, async (request, { log }) => {
    await authorize(request, deps.verify, deps.secret);
    const hasBody = Number(request.headers.get("content-length") ?? "0") > 0 ||
      request.headers.get("content-type") !== null;
    const options = hasBody ? await readJson(request, DispatchRequest) : DispatchRequest.parse({});
    const result = await dispatch(deps, options);
    log.info("dispatched", { ...result });
    return json(result);
  });
}

export const DispatchEnv = BaseEnv.extend(EmailEnv.shape).extend({
  DISPATCH_SECRET: z.string().min(32, "must be at least 32 characters"),
});

function fromEnv(): DispatchHandlerDeps {
  const env = readEnv(DispatchEnv, runtimeEnv(), "function email-dispatch");
  return {
    sql: connect(env.SUPABASE_DB_URL, "groundwork:email-dispatch", 10),
    transport: transportFromEnv(env),
    from: env.EMAIL_FROM,
    verify: createVerifier(verifierFromEnv(env)),
    secret: env.DISPATCH_SECRET,
  };
}

export const handler: Handler = createDispatchHandler(fromEnv());
