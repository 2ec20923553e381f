/**
 * email-dispatch: drains the email outbox. Callable only with the service role's JWT or the
 * dispatcher secret (x-dispatch-secret). Each run claims batches with a lease (for update skip
 * locked), renders each message, sends it and records the outcome; failures are retried with
 * exponential backoff and jitter, and die after max_attempts. A run that dies mid-batch loses
 * nothing: its leases expire and the next run claims those messages again.
 */
import { z } from "zod";
import { bearerToken, createVerifier, verifierFromEnv, type Verifier } from "../_shared/auth.ts";
import { safeEqual } from "../_shared/crypto.ts";
import { asCaller, connect, type Sql, type Tx } from "../_shared/db.ts";
import { EmailEnv, transportFromEnv, TransportError, type EmailTransport } from "../_shared/email/transport.ts";
import { renderEmail, RenderError } from "../_shared/email/templates.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { forbidden, unauthorized } from "../_shared/errors.ts";
import { createHandler, json, readJson, type Handler } from "../_shared/http.ts";

export const DispatchRequest = z.object({
  batch_size: z.number().int().min(1).max(500).default(50),
  lease_seconds: z.number().int().min(1).max(900).default(120),
  max_batches: z.number().int().min(1).max(1000).default(20),
  concurrency: z.number().int().min(1).max(32).default(8),
}).strict();
export type DispatchRequest = z.infer<typeof DispatchRequest>;

export const DispatchResult = z.object({
  worker: z.string(),
  batches: z.number(),
  claimed: z.number(),
  sent: z.number(),
  retrying: z.number(),
  dead: z.number(),
  lease_lost: z.number(),
});
export type DispatchResult = z.infer<typeof DispatchResult>;

interface OutboxRow {
  id: string;
  template: string;
  locale: string;
  recipient: string;
  data: unknown;
  idempotency_key: string;
}

export interface DispatchDeps {
  sql: Sql;
  transport: EmailTransport;
  from: string;
}

const SERVICE = () => ({ role: "service_role" as const, exp: Math.floor(Date.now() / 1000) + 300 });

async function deliver(deps: DispatchDeps, worker: string, row: OutboxRow): Promise<"sent" | "failed" | "dead" | "lease_lost"> {
  const record = async (statement: (tx: Tx) => Promise<{ result: unknown }[]>) =>
    (await asCaller(deps.sql, SERVICE(), statement))[0]?.result;
  let rendered;
  try {
    rendered = renderEmail(row.template, row.locale, row.data);
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    const status = await record((tx) => tx`select private.fail_email(${row.id}, ${worker}, ${error.message}, true)::text as result`);
    return status === "dead" ? "dead" : "lease_lost";
  }
  try {
    const { providerMessageId } = await deps.transport.send({ ...rendered, from: deps.from, to: row.recipient, idempotencyKey: row.idempotency_key });
    const done = await record((tx) => tx`select private.complete_email(${row.id}, ${worker}, ${providerMessageId}) as result`);
    return done ? "sent" : "lease_lost";
  } catch (error) {
    const permanent = error instanceof TransportError && error.permanent;
    const status = await record((tx) => tx`select private.fail_email(${row.id}, ${worker}, ${(error as Error).message}, ${permanent})::text as result`);
    if (status === "dead") return "dead";
    return status === "failed" ? "failed" : "lease_lost";
  }
}

/** One dispatcher run: claims and delivers batches until the outbox has nothing due (or max_batches). */
export async function dispatch(deps: DispatchDeps, options: DispatchRequest, worker = `dispatch-${crypto.randomUUID()}`): Promise<DispatchResult> {
  const result: DispatchResult = { worker, batches: 0, claimed: 0, sent: 0, retrying: 0, dead: 0, lease_lost: 0 };
  while (result.batches < options.max_batches) {
    const rows = await asCaller(deps.sql, SERVICE(), (tx) =>
      tx<OutboxRow[]>`select id, template, locale, recipient, data, idempotency_key
                      from private.claim_emails(${options.batch_size}, ${options.lease_seconds}, ${worker})`);
    if (rows.length === 0) break;
    result.batches++;
    result.claimed += rows.length;
    const queue = [...rows];
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const outcome = await deliver(deps, worker, row);
        if (outcome === "sent") result.sent++;
        else if (outcome === "failed") result.retrying++;
        else if (outcome === "dead") result.dead++;
        else result.lease_lost++;
      }
    }));
    if (rows.length < options.batch_size) break;
  }
  return result;
}

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
    const hasBody = Number(request.headers.get("content-length") ?? "0") > 0 || request.headers.get("content-type") !== null;
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
