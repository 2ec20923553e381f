/**
 * Nothing acknowledged is lost when PostgreSQL crashes, on a durable cluster (npm start's
 * settings): every process of the server is killed with SIGKILL under load, the server is started
 * again (crash recovery), and
 *   - every booking whose commit was acknowledged exists;
 *   - the email outbox loses no message, and re-sends only messages whose send had not been
 *     recorded when the server died — never one recorded as sent (SMTP has no idempotency, so a
 *     message accepted by the server but not yet recorded is the one window left).
 * The throwaway test cluster (fsync and synchronous commit off) fails the first check: an
 * acknowledged commit may still sit in WAL buffers when the server dies.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch, DispatchRequest } from "../../functions/email-dispatch/dispatch.ts";
import { EmailEnv, smtpTransport } from "../../functions/_shared/email/transport.ts";
import { clusterPid, startCluster } from "../../scripts/lib/cluster.ts";
import { readConfig } from "../../scripts/lib/config.ts";
import { bin, root } from "../../scripts/lib/paths.ts";
import { type ThrowawayCluster, throwawayCluster } from "../../scripts/lib/testdb.ts";
import { startTestSmtp } from "../helpers/mail.ts";

let db: ThrowawayCluster;
let user: { id: string; email: string };
let resource: string;

/** What a power cut does to the server: the postmaster and every backend die at once. */
function crash(): void {
  const pid = clusterPid(db.cluster);
  if (!pid) throw new Error("the server is not running");
  const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).split("\n").map(
    Number,
  ).filter(Boolean);
  for (const target of [pid, ...children]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function restart(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await startCluster(db.cluster, "durable");
      return;
    } catch (error) {
      if (i === 49) throw error;
      await new Promise((r) => setTimeout(r, 200)); // the dead backends' shared memory is released
    }
  }
}

const client = () => postgres(db.cluster.url(), { max: 8, onnotice: () => {}, prepare: false, connect_timeout: 5 });

/** The load runs in a process of its own (tests/helpers/crash-load.ts); its output lines come back. */
function load(args: string[], onLine: (line: string) => void): ChildProcess {
  const child = spawn(bin("tsx"), [join(root, "tests", "helpers", "crash-load.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "ignore"],
  });
  createInterface({ input: child.stdout! }).on("line", onLine);
  return child;
}

beforeAll(async () => {
  db = await throwawayCluster(readConfig().schemas, { seed: false, durability: "durable" });
  const sql = client();
  try {
    const [u] =
      await sql`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'crash@durable.test', '', now(), '{}', '{}', now(), now())
      returning id, email`;
    user = { id: u!.id, email: u!.email };
    const [org] =
      await sql`insert into public.organizations (name, slug, created_by) values ('Durable', 'durable', ${user.id}) returning id`;
    const [r] = await sql`insert into public.resources (org_id, name, time_zone, min_notice_minutes) values (${
      org!.id
    }, 'Room', 'UTC', 0) returning id`;
    resource = r!.id;
  } finally {
    await sql.end();
  }
}, 180_000);
afterAll(async () => {
  await db?.dispose();
});

describe("a crash of PostgreSQL under load, on a durable cluster", () => {
  it("keeps every booking whose commit was acknowledged", async () => {
    const acknowledged: string[] = [];
    const worker = load(["book", db.cluster.url(), user.id, user.email, resource], (line) => {
      if (line.startsWith("ack ")) acknowledged.push(line.slice(4));
    });
    try {
      const deadline = Date.now() + 60_000;
      while (acknowledged.length < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(acknowledged.length).toBeGreaterThanOrEqual(150);
      crash();
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      worker.kill("SIGKILL");
    }
    const answered = [...acknowledged];
    await restart();

    const after = client();
    try {
      const found = await after<{ id: string }[]>`select id from public.bookings where id = any (${answered}::uuid[])`;
      expect(found.length).toBe(answered.length);
    } finally {
      await after.end();
    }
  }, 120_000);

  it("loses no email and re-sends none that was recorded as sent", async () => {
    const tag = crypto.randomUUID();
    const setup = client();
    try {
      // Only this test's messages: the bookings above queued their confirmations.
      await setup`delete from private.email_outbox`;
      for (let i = 0; i < 120; i++) {
        await setup`select private.enqueue_email('notification', ${`${tag}-${i}@durable.test`}, ${
          setup.json({ title: `Message ${i}` })
        }, ${`${tag}:${i}`})`;
      }
    } finally {
      await setup.end();
    }
    const idOf = (key: string) => `<${key.replace(/[^A-Za-z0-9._-]/g, "-")}@groundwork.mail>`;
    let crashed = false;
    const smtp = await startTestSmtp({
      onData: (_server, index) => {
        if (index === 40 && !crashed) {
          crashed = true;
          crash();
        }
      },
    });
    const transport = smtpTransport(
      EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: String(smtp.port), SMTP_MAX_CONNECTIONS: "4" }),
    );
    try {
      const outcome: string[] = [];
      const worker = load(["dispatch", db.cluster.url(), String(smtp.port)], (line) => outcome.push(line));
      const guard = setTimeout(() => worker.kill("SIGKILL"), 30_000);
      await new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      clearTimeout(guard);
      expect(crashed).toBe(true);
      expect(outcome.join(" ")).toMatch(/error/);
      const deliveredBeforeCrash = smtp.accepted.filter((id) => id.includes(tag)).length;
      await restart();

      const after = client();
      try {
        // What the database recorded as sent survived the crash; that is what must never go out again.
        const recorded = new Set((await after<{ key: string }[]>`
          select idempotency_key as key from private.email_outbox where idempotency_key like ${`${tag}:%`} and status = 'sent'`)
          .map((r) => idOf(r.key)));
        await new Promise((r) => setTimeout(r, 1200)); // the dead run's leases expire
        await dispatch(
          { sql: after, transport, from: "Groundwork <no-reply@groundwork.test>" },
          DispatchRequest.parse({ batch_size: 50, lease_seconds: 30, concurrency: 4 }),
        );
        const statuses = await after<
          { status: string }[]
        >`select status::text from private.email_outbox where idempotency_key like ${`${tag}:%`}`;
        expect(statuses).toHaveLength(120);
        expect(statuses.every((s) => s.status === "sent"), "no message is lost").toBe(true);

        const ours = smtp.accepted.filter((id) => id.includes(tag));
        const counts = new Map<string, number>();
        for (const id of ours) counts.set(id, (counts.get(id) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
        expect(new Set(ours).size, "every message arrived").toBe(120);
        expect(twice.filter((id) => recorded.has(id)), "no message recorded as sent was sent again").toEqual([]);
        // Only the messages in flight when the server died (at most one per connection) can repeat.
        expect(twice.length).toBeLessThanOrEqual(4);
        expect(deliveredBeforeCrash).toBeGreaterThanOrEqual(40);
        expect(recorded.size).toBeGreaterThanOrEqual(deliveredBeforeCrash - 4);
      } finally {
        await after.end();
      }
    } finally {
      await transport.close();
      await smtp.close();
    }
  }, 120_000);
});
