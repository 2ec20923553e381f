/**
 * Outbox benchmark: drains N messages twice, into an SMTP sink that accepts every message and keeps
 * only its Message-ID (smtp-server), so the dispatcher is measured rather than a mail catcher:
 *   batched claims (100 per claim, 16 sends in flight)  ÷  one at a time (claim 1, send, mark)   target ≥ 5×
 * and checks nothing is lost or sent twice (every Message-ID once, as many as queued).
 */
import type { AddressInfo } from "node:net";
import type postgres from "postgres";
import { SMTPServer } from "smtp-server";
import { dispatch, DispatchRequest } from "../functions/email-dispatch/dispatch.ts";
import { EmailEnv, smtpTransport } from "../functions/_shared/email/transport.ts";
import type { BenchResult } from "./core.ts";

const MESSAGES = 5000;

async function enqueue(sql: postgres.Sql, tag: string): Promise<void> {
  await sql`
    select private.enqueue_email(p_template => 'notification', p_recipient => ${tag} || '-' || i || '@bench.test',
      p_data => jsonb_build_object('title', 'Bench ' || i, 'body', 'Outbox drain'), p_idempotency_key => ${tag} || ':' || i)
    from generate_series(1, ${MESSAGES}) i`;
}

/** An SMTP server that accepts everything and records each message's Message-ID. */
async function startSink(): Promise<{ port: number; ids: string[]; close(): Promise<void> }> {
  const ids: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      let head = "";
      stream.on("data", (chunk: Buffer) => {
        if (head.length < 4096) head += chunk.toString("utf8");
      });
      stream.on("end", () => {
        const id = /^message-id:\s*(\S+)/im.exec(head)?.[1];
        if (id) ids.push(id);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, ids, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function measureOutbox(sql: postgres.Sql, log: (line: string) => void): Promise<BenchResult[]> {
  const sink = await startSink();
  const transport = smtpTransport(
    EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: sink.port, SMTP_MAX_CONNECTIONS: 16 }),
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
    log(`Draining ${MESSAGES} messages one at a time into a discarding SMTP sink`);
    const single = await run("single", DispatchRequest.parse({ batch_size: 1, concurrency: 1, max_batches: 1000 }));
    log(`Draining ${MESSAGES} messages with batched claims`);
    const batched = await run(
      "batched",
      DispatchRequest.parse({ batch_size: 100, concurrency: 16, max_batches: 1000 }),
    );
    const queued = 2 * MESSAGES;
    const distinct = new Set(sink.ids).size;
    const duplicates = sink.ids.length - distinct;
    const ratio = batched.rate / single.rate;
    return [
      {
        name: "outbox drain: batched ÷ one at a time",
        value: ratio,
        target: "≥ 5",
        ok: ratio >= 5,
        detail: `${batched.rate.toFixed(0)} vs ${single.rate.toFixed(0)} messages/s (${MESSAGES} a side)`,
      },
      {
        name: "outbox drain: duplicates and losses",
        value: duplicates + (queued - distinct),
        target: "0",
        ok: duplicates === 0 && distinct === queued,
        detail: `${queued} queued, ${sink.ids.length} received, ${distinct} distinct`,
      },
    ];
  } finally {
    await transport.close();
    await sink.close();
  }
}
