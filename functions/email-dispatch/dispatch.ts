/**
 * Draining the email outbox: claim a batch under a lease, render, send, record each outcome.
 * No environment is read here, so the handler, tests and benchmarks share it.
 */
import type { Sql } from "../_shared/db.ts";
import { type EmailTransport, TransportError } from "../_shared/email/transport.ts";
import { renderEmail, RenderError } from "../_shared/email/templates/index.ts";
import { DispatchRequest, DispatchResult } from "./schemas.ts";
export { DispatchRequest, DispatchResult };

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

async function deliver(
  deps: DispatchDeps,
  worker: string,
  row: OutboxRow,
): Promise<"sent" | "failed" | "dead" | "lease_lost"> {
  // The dispatcher is a trusted server process on the service's own connection: each outcome is
  // one autocommitted statement (the functions are security definer), not a four-step transaction.
  const record = async (statement: (sql: Sql) => Promise<{ result: unknown }[]>) =>
    (await statement(deps.sql))[0]?.result;
  let rendered;
  try {
    rendered = renderEmail(row.template, row.locale, row.data);
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    const status = await record((tx) =>
      tx`select private.fail_email(${row.id}, ${worker}, ${error.message}, true)::text as result`
    );
    return status === "dead" ? "dead" : "lease_lost";
  }
  try {
    const { providerMessageId } = await deps.transport.send({
      ...rendered,
      from: deps.from,
      to: row.recipient,
      idempotencyKey: row.idempotency_key,
    });
    const done = await record((tx) =>
      tx`select private.complete_email(${row.id}, ${worker}, ${providerMessageId}) as result`
    );
    return done ? "sent" : "lease_lost";
  } catch (error) {
    const permanent = error instanceof TransportError && error.permanent;
    const status = await record((tx) =>
      tx`select private.fail_email(${row.id}, ${worker}, ${(error as Error).message}, ${permanent})::text as result`
    );
    if (status === "dead") return "dead";
    return status === "failed" ? "failed" : "lease_lost";
  }
}

/** One dispatcher run: claims and delivers batches until the outbox has nothing due (or max_batches). */
export async function dispatch(
  deps: DispatchDeps,
  options: DispatchRequest,
  worker = `dispatch-${crypto.randomUUID()}`,
): Promise<DispatchResult> {
  const result: DispatchResult = { worker, batches: 0, claimed: 0, sent: 0, retrying: 0, dead: 0, lease_lost: 0 };
  while (result.batches < options.max_batches) {
    const rows = await deps.sql<OutboxRow[]>`
      select id, template, locale, recipient, data, idempotency_key
      from private.claim_emails(${options.batch_size}, ${options.lease_seconds}, ${worker})`;
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
