/**
 * Outbox benchmark (issue: invitations, outbox and notifications). Drains N messages into the
 * local SMTP catcher (maildev) twice, measured in one run:
 *   batched claims (100 per claim, 16 sends in flight)  ÷  one at a time (claim 1, send, mark)   target ≥ 5×
 * and counts duplicates in the catcher (target 0).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import { dispatch, DispatchRequest } from "../functions/email-dispatch/dispatch.ts";
import { EmailEnv, smtpTransport } from "../functions/_shared/email/transport.ts";
import { freePort } from "../scripts/lib/proc.ts";
import { startMailCatcher, stopProcessGroup } from "../scripts/lib/services.ts";
import type { BenchResult } from "./core.ts";

const MESSAGES = 600;

async function enqueue(sql: postgres.Sql, tag: string): Promise<void> {
  await sql`
    select private.enqueue_email('notification', ${tag} || '-' || i || '@bench.test',
      jsonb_build_object('title', 'Bench ' || i, 'body', 'Outbox drain'), ${tag} || ':' || i)
    from generate_series(1, ${MESSAGES}) i`;
}

export async function measureOutbox(sql: postgres.Sql, log: (line: string) => void): Promise<BenchResult[]> {
  const smtpPort = await freePort();
  const webPort = await freePort();
  const catcher = await startMailCatcher(smtpPort, webPort, {
    logDir: mkdtempSync(join(tmpdir(), "groundwork-bench-")),
  });
  const transport = smtpTransport(
    EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: smtpPort, SMTP_MAX_CONNECTIONS: 16 }),
  );
  try {
    const run = async (tag: string, options: DispatchRequest) => {
      await enqueue(sql, tag);
      const started = process.hrtime.bigint();
      let sent = 0;
      while (sent < MESSAGES) {
        const result = await dispatch({ sql, transport, from: "Bench <bench@groundwork.test>" }, options);
        if (result.claimed === 0) break;
        sent += result.sent;
      }
      return { rate: sent / (Number(process.hrtime.bigint() - started) / 1e9), sent };
    };
    log(`Draining ${MESSAGES} messages one at a time`);
    const single = await run("single", DispatchRequest.parse({ batch_size: 1, concurrency: 1, max_batches: 1000 }));
    log(`Draining ${MESSAGES} messages with batched claims`);
    const batched = await run(
      "batched",
      DispatchRequest.parse({ batch_size: 100, concurrency: 16, max_batches: 1000 }),
    );
    const mail = (await (await fetch(`http://127.0.0.1:${webPort}/email`)).json()) as { messageId: string }[];
    const ids = mail.map((m) => m.messageId);
    const duplicates = ids.length - new Set(ids).size;
    const ratio = batched.rate / single.rate;
    return [
      {
        name: "outbox drain: batched ÷ one at a time",
        value: ratio,
        target: "≥ 5",
        ok: ratio >= 5,
        detail: `${batched.rate.toFixed(0)} vs ${single.rate.toFixed(0)} messages/s (${
          batched.sent + single.sent
        } sent)`,
      },
      {
        name: "outbox drain: duplicates in the catcher",
        value: duplicates,
        target: "0",
        ok: duplicates === 0,
        detail: `${ids.length} messages caught, ${new Set(ids).size} distinct`,
      },
    ];
  } finally {
    await transport.close();
    if (catcher.pid) stopProcessGroup(catcher.pid);
  }
}
