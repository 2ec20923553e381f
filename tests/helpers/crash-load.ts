/**
 * Load for the crash tests, in a process of its own, so the test process never holds a connection
 * the server's death breaks (it only reads what this process printed):
 *   tsx tests/helpers/crash-load.ts book <db-url> <user-id> <email> <resource-id>
 *       books 15-minute slots with 12 concurrent clients; prints "ack <booking id>" after each commit
 *   tsx tests/helpers/crash-load.ts dispatch <db-url> <smtp-port>
 *       drains the email outbox once (batches of 50, 4 at a time, 1 s leases)
 *   tsx tests/helpers/crash-load.ts import-batch <db-url> <import-id> <batch-size>
 *       claims an import and applies one batch as its member, prints "applied", then hangs before
 *       the commit until it is killed
 */
import postgres from "postgres";
import { dispatch, DispatchRequest } from "../../functions/email-dispatch/dispatch.ts";
import type { Claims } from "../../functions/_shared/auth.ts";
import { asCaller, becomeCaller } from "../../functions/_shared/db.ts";
import { EmailEnv, smtpTransport } from "../../functions/_shared/email/transport.ts";

const [mode, url, ...args] = process.argv.slice(2);
const sql = postgres(url!, { max: 12, onnotice: () => {}, prepare: false, connect_timeout: 5 });

if (mode === "book") {
  const [userId, email, resource] = args as [string, string, string];
  const claims: Claims = {
    sub: userId,
    role: "authenticated",
    aud: "authenticated",
    email,
    aal: "aal1",
    session_id: crypto.randomUUID(),
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  const start = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
  let next = 0;
  await Promise.all(Array.from({ length: 12 }, async () => {
    for (;;) {
      const slot = next++;
      try {
        const rows = await asCaller(sql, claims, (tx) =>
          tx<{ id: string }[]>`
          select (b.booking).id from private.book_resource(${resource}, ${new Date(start + slot * 900_000)}, ${new Date(
            start + slot * 900_000 + 600_000,
          )},
            'Load', '', false, null, null, '[]'::jsonb) b`);
        process.stdout.write(`ack ${rows[0]!.id}\n`);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }));
} else if (mode === "dispatch") {
  const transport = smtpTransport(
    EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: args[0], SMTP_MAX_CONNECTIONS: "4" }),
  );
  const result = await dispatch(
    { sql, transport, from: "Groundwork <no-reply@groundwork.test>" },
    DispatchRequest.parse({ batch_size: 50, lease_seconds: 1, concurrency: 4 }),
  ).catch((error: Error) => ({ error: error.message }));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else if (mode === "import-batch") {
  const [importId, size] = args as [string, string];
  await sql.begin(async (tx) => {
    const [job] = await tx<
      { id: string; claims: Claims }[]
    >`select id, claims from private.claim_import_work(${importId})`;
    await becomeCaller(tx, job!.claims);
    await tx`select private.run_import_batch(${importId}, ${Number(size)})`;
    process.stdout.write("applied\n");
    await new Promise(() => {}); // killed here, before the commit
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
