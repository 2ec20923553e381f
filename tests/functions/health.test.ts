import { type AddressInfo, createServer } from "node:net";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createVerifier } from "../../functions/_shared/auth.ts";
import { EmailEnv, smtpTransport } from "../../functions/_shared/email/transport.ts";
import { health, HealthResponse, THRESHOLDS } from "../../functions/health/routes.ts";
import { apiKey } from "../helpers/db.ts";
import { testDb } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";

const createHealthHandler = (deps: Parameters<typeof health.handler>[0]) => health.handler(deps);
const mailer = () => smtpTransport(EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: process.env.SMTP_PORT }));
const handler = (request: Request) =>
  createHealthHandler({ sql: testDb(), transport: mailer(), verify: createVerifier({ secret: testEnv.jwtSecret }) })(
    request,
  );

describe("health, in-process", () => {
  it("reports the database and the last applied migration", async () => {
    const response = await handler(new Request("http://local/functions/v1/health"));
    expect(response.status).toBe(200);
    const body = HealthResponse.parse(await response.json());
    const [last] =
      await testDb()`select version, name from supabase_migrations.schema_migrations order by version desc limit 1`;
    expect(body.migration).toEqual({ version: last!.version, name: last!.name });
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  describe("when the database is down", () => {
    const down = postgres("postgresql://postgres:postgres@127.0.0.1:1/postgres", { max: 1, connect_timeout: 2 });
    afterAll(() => down.end());

    it("answers 503 in the shared error shape", async () => {
      const response = await createHealthHandler({ sql: down })(new Request("http://local/functions/v1/health"));
      expect(response.status).toBe(503);
      const body = await response.json();
      expect(body).toEqual({
        error: {
          code: "database_unavailable",
          message: "Cannot reach the database",
          details: { reason: "ECONNREFUSED" },
        },
      });
      expect(response.headers.get("x-request-id")).toBeTruthy();
    });
  });

  it("answers 503 when the database does not answer in time", async () => {
    // A real server that accepts connections and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    const hung = postgres(`postgresql://postgres@127.0.0.1:${port}/postgres`, { max: 1, connect_timeout: 30 });
    try {
      const response = await createHealthHandler({ sql: hung, timeoutMs: 200 })(
        new Request("http://local/functions/v1/health"),
      );
      expect(response.status).toBe(503);
      expect((await response.json()).error.details).toEqual({ reason: "timeout" });
    } finally {
      await hung.end({ timeout: 0 });
      silent.close();
    }
  });

  it("answers 405 to anything but GET", async () => {
    expect((await handler(new Request("http://local/functions/v1/health", { method: "POST", body: "{}" }))).status)
      .toBe(405);
  });
});

describe("health, part by part", () => {
  const verify = createVerifier({ secret: testEnv.jwtSecret });
  const ask = async (deps: Parameters<typeof health.handler>[0], token?: string) => {
    const response = await health.handler(deps)(
      new Request("http://local/functions/v1/health", token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    );
    return { status: response.status, body: HealthResponse.parse(await response.json()) };
  };
  /** Runs fn on a transaction that is rolled back: the health checks see what it wrote, nobody else does. */
  const rolledBack = async (fn: (sql: postgres.Sql) => Promise<void>) => {
    await testDb().begin(async (tx) => {
      await fn(tx as unknown as postgres.Sql);
      throw new Error("rollback");
    }).catch((error: Error) => {
      if (error.message !== "rollback") throw error;
    });
  };

  it("reports every part: database, mail, outbox, cron, purge", async () => {
    const { status, body } = await ask({ sql: testDb(), transport: mailer(), verify });
    expect(status).toBe(200);
    expect(body.database.status).toBe("ok");
    expect(body.mail).toMatchObject({ status: "ok", transport: "smtp" });
    expect(body.cron.jobs).toBeGreaterThanOrEqual(5);
    expect(body.outbox.lag_seconds).toBeGreaterThanOrEqual(0);
    expect(body.purge.backlog).toBeGreaterThanOrEqual(0);
  });

  it("answers 503 when the dispatcher lags, and tells only the service role why", async () => {
    await rolledBack(async (sql) => {
      await sql`
        insert into private.email_outbox (template, recipient, data, idempotency_key, status, next_attempt_at)
        values ('notification', 'late@health.test', '{}', ${`health-late-${crypto.randomUUID()}`}, 'pending',
                now() - make_interval(secs => ${THRESHOLDS.outboxLagDownSeconds + 60})),
               ('notification', 'dead@health.test', '{}', ${`health-dead-${crypto.randomUUID()}`}, 'dead', now())`;
      const anonymous = await ask({ sql, transport: mailer(), verify });
      expect(anonymous.status).toBe(503);
      expect(anonymous.body.status).toBe("down");
      expect(anonymous.body.outbox.status).toBe("down");
      expect(anonymous.body.outbox.dead).toBeGreaterThanOrEqual(1);
      expect(anonymous.body.outbox.detail).toBeUndefined();
      const service = await ask({ sql, transport: mailer(), verify }, await apiKey("service_role"));
      expect(service.body.outbox.detail).toMatch(/dead letters/);
      const user = await ask({ sql, transport: mailer(), verify }, await apiKey("anon"));
      expect(user.body.outbox.detail).toBeUndefined();
    });
  });

  it("warns (200) on dead letters alone and on a failed cron job", async () => {
    // As the platform's superuser: pg_cron's run history is not postgres's to write.
    const admin = postgres(testEnv.adminDbUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.begin(async (tx) => {
        const sql = tx as unknown as postgres.Sql;
        await sql`delete from private.email_outbox where status in ('pending', 'failed')`;
        await sql`insert into private.email_outbox (template, recipient, data, idempotency_key, status)
                  values ('notification', 'dead@health.test', '{}', ${`health-dead-${crypto.randomUUID()}`}, 'dead')`;
        const [job] = await sql`select jobid from cron.job where jobname = 'groundwork-expire-holds'`;
        await sql`insert into cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
                  values (${
          job!.jobid
        }, 0, 'postgres', 'postgres', 'select 1', 'failed', 'boom', now() + interval '1 hour', now() + interval '1 hour')`;
        const { status, body } = await ask({ sql, transport: mailer(), verify }, await apiKey("service_role"));
        expect(status).toBe(200);
        expect(body.status).toBe("degraded");
        expect(body.outbox.status).toBe("warn");
        expect(body.cron).toMatchObject({ status: "warn", failing: 1 });
        expect(body.cron.detail).toMatch(/groundwork-expire-holds: boom/);
        throw new Error("rollback");
      }).catch((error: Error) => {
        if (error.message !== "rollback") throw error;
      });
    } finally {
      await admin.end();
    }
  });

  it("answers 503 when the mail transport is down", async () => {
    const silent = smtpTransport(EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: 1 }));
    const { status, body } = await ask({ sql: testDb(), transport: silent, verify }, await apiKey("service_role"));
    expect(status).toBe(503);
    expect(body.mail).toMatchObject({ status: "down", transport: "smtp", latency_ms: null });
    expect(body.mail.detail).toMatch(/SMTP/);
  });
});

describe("health, over HTTP through the gateway and Deno", () => {
  it("answers 200 with JSON and a request id", async () => {
    const response = await fetch(`${testEnv.apiUrl}/functions/v1/health`, {
      headers: { "x-request-id": "http-test-0001" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(response.headers.get("x-request-id")).toBe("http-test-0001");
    const body = HealthResponse.parse(await response.json());
    expect(body.migration?.name).toBeTruthy();
  });
});
