/**
 * email-dispatch end to end: who may call it, bad input, delivery into the mail catcher, render
 * failures, retries against a refusing SMTP server, concurrent runs, a run killed mid-batch,
 * and the native stack's waker.
 */
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch, DispatchRequest } from "../../functions/email-dispatch/dispatch.ts";
import { EmailEnv, smtpTransport } from "../../functions/_shared/email/transport.ts";
import { type Gateway, startGateway } from "../../scripts/lib/gateway.ts";
import { root } from "../../scripts/lib/paths.ts";
import { freePort } from "../../scripts/lib/proc.ts";
import { accessToken, apiKey, LOCAL_JWT_SECRET } from "../../scripts/lib/tokens.ts";
import { startWaker } from "../../scripts/lib/waker.ts";
import { testDb } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { startTestSmtp, waitForMail } from "../helpers/mail.ts";

const sql = testDb();
const secret = process.env.DISPATCH_SECRET!;
const FROM = "Groundwork <no-reply@groundwork.test>";
const dispatchUrl = () => `${testEnv.apiUrl}/functions/v1/email-dispatch`;

async function enqueue(
  count: number,
  tag = crypto.randomUUID(),
  template = "notification",
  data: object = { title: "Hello" },
) {
  const recipients: string[] = [];
  for (let i = 0; i < count; i++) {
    const to = `${tag}-${i}@dispatch.test`;
    recipients.push(to);
    await sql`select private.enqueue_email(${template}, ${to}, ${
      sql.json(data as postgres.JSONValue)
    }, ${`${tag}:${i}`})`;
  }
  return { tag, recipients };
}

const statuses = (tag: string) =>
  sql<{ status: string; attempts: number; last_error: string | null }[]>`
    select status::text, attempts, last_error from private.email_outbox where idempotency_key like ${`${tag}:%`} order by idempotency_key`;

describe("who may dispatch", () => {
  it.each([
    ["no credentials", {}, 401],
    ["a wrong secret", { "x-dispatch-secret": "not-the-secret-but-long-enough-to-compare" }, 401],
  ])("refuses %s", async (_label, headers, status) => {
    const response = await fetch(dispatchUrl(), { method: "POST", headers });
    expect(response.status).toBe(status);
    expect((await response.json()).error.code).toBe("unauthorized");
  });

  it("refuses the anon key and user tokens (403), changing nothing", async () => {
    const { tag } = await enqueue(1);
    for (const token of [await apiKey("anon"), await accessToken({ id: crypto.randomUUID(), email: "u@x.test" })]) {
      const response = await fetch(dispatchUrl(), { method: "POST", headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(403);
    }
    expect((await statuses(tag))[0]).toMatchObject({ status: "pending", attempts: 0 });
    await sql`delete from private.email_outbox where idempotency_key like ${`${tag}:%`}`;
  });

  it("accepts the service role's key", async () => {
    const response = await fetch(dispatchUrl(), {
      method: "POST",
      headers: { authorization: `Bearer ${await apiKey("service_role")}` },
    });
    expect(response.status).toBe(200);
  });
});

describe("bad input changes nothing", () => {
  it.each([
    ["malformed JSON", "{ batch_size: ", 400],
    ["a wrong type", JSON.stringify({ batch_size: "ten" }), 422],
    ["an out-of-range value", JSON.stringify({ batch_size: 0 }), 422],
    ["an unknown field", JSON.stringify({ batch: 10 }), 422],
    ["an oversize body", JSON.stringify({ batch_size: 10, pad: "x".repeat(5000) }), 413],
  ])("%s → %i", async (_label, body, status) => {
    const { tag } = await enqueue(1);
    const response = await fetch(dispatchUrl(), {
      method: "POST",
      headers: { "x-dispatch-secret": secret, "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(status);
    expect((await statuses(tag))[0]).toMatchObject({ status: "pending", attempts: 0 });
    await sql`delete from private.email_outbox where idempotency_key like ${`${tag}:%`}`;
  });
});

describe("delivery", () => {
  it("sends every due message once, through the gateway and Deno into the mail catcher", async () => {
    const { tag, recipients } = await enqueue(12, undefined, "invitation", {
      org_name: "Acme",
      inviter_name: "Olga",
      role_name: "Member",
      accept_url: "https://app.test/accept?token=t",
      expires_at: "2026-12-01",
    });
    const response = await fetch(dispatchUrl(), {
      method: "POST",
      headers: { "x-dispatch-secret": secret, "content-type": "application/json" },
      body: JSON.stringify({ batch_size: 5 }),
    });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result.sent).toBeGreaterThanOrEqual(12);
    for (const to of recipients) {
      const mail = await waitForMail(to);
      expect(mail).toHaveLength(1);
      expect(mail[0]!.subject).toBe("Olga invited you to Acme");
    }
    expect((await statuses(tag)).every((s) => s.status === "sent" && s.attempts === 1)).toBe(true);
  });

  it("marks a message dead, with the reason, when its template or data is wrong", async () => {
    const missing = await enqueue(1, undefined, "no_such_template", {});
    const invalid = await enqueue(1, undefined, "notification", { body: "no title" });
    await fetch(dispatchUrl(), { method: "POST", headers: { "x-dispatch-secret": secret } });
    expect((await statuses(missing.tag))[0]).toMatchObject({
      status: "dead",
      last_error: "Cannot render email: there is no template named no_such_template",
    });
    expect((await statuses(invalid.tag))[0]!.last_error).toMatch(/title/);
  });
});

describe("failures", () => {
  const env = (port: number) => EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: port });

  it("retries a message an SMTP server refuses for now, with backoff, then marks it dead", async () => {
    const server = await startTestSmtp({ refuseWith: { code: 451, message: "Try again later" } });
    const transport = smtpTransport(env(server.port));
    const { tag } = await enqueue(1);
    await sql`update private.email_outbox set max_attempts = 3 where idempotency_key like ${`${tag}:%`}`;
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        await dispatch({ sql, transport, from: FROM }, DispatchRequest.parse({}));
        const [row] = await statuses(tag);
        expect(row).toMatchObject({ attempts: attempt, status: attempt < 3 ? "failed" : "dead" });
        expect(row!.last_error).toMatch(/451/);
        // The backoff put the next attempt in the future; bring it forward instead of waiting.
        await sql`update private.email_outbox set next_attempt_at = now() where idempotency_key like ${`${tag}:%`} and status = 'failed'`;
      }
      expect(server.attempts).toBe(3);
      expect(server.accepted).toHaveLength(0);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it("gives up at once on a permanent refusal (550)", async () => {
    const server = await startTestSmtp({ refuseWith: { code: 550, message: "No such user" } });
    const transport = smtpTransport(env(server.port));
    const { tag } = await enqueue(1);
    try {
      await dispatch({ sql, transport, from: FROM }, DispatchRequest.parse({}));
      expect((await statuses(tag))[0]).toMatchObject({ status: "dead", attempts: 1 });
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it("sends each message once when two dispatchers run at the same time", async () => {
    const server = await startTestSmtp();
    const { tag } = await enqueue(60);
    const pools = [
      postgres(testEnv.dbUrl, { max: 4, onnotice: () => {} }),
      postgres(testEnv.dbUrl, { max: 4, onnotice: () => {} }),
    ];
    const transports = pools.map(() => smtpTransport(env(server.port)));
    try {
      const runs = await Promise.all(
        pools.map((pool, i) =>
          dispatch(
            { sql: pool, transport: transports[i]!, from: FROM },
            DispatchRequest.parse({ batch_size: 10, concurrency: 4 }),
          )
        ),
      );
      expect(runs[0]!.sent + runs[1]!.sent).toBeGreaterThanOrEqual(60);
      const ours = server.accepted.filter((id) => id.includes(tag));
      expect(ours).toHaveLength(60);
      expect(new Set(ours).size).toBe(60);
      expect((await statuses(tag)).every((s) => s.status === "sent")).toBe(true);
    } finally {
      await Promise.all(transports.map((t) => t.close()));
      await Promise.all(pools.map((p) => p.end()));
      await server.close();
    }
  });
});

describe("a dispatcher killed mid-batch (a real second process)", () => {
  let gateway: Gateway;
  let base: string;
  let server: Awaited<ReturnType<typeof startTestSmtp>>;

  beforeAll(async () => {
    // The SMTP server kills the dispatcher's process while it waits for the 5th message to be accepted.
    server = await startTestSmtp({
      onData: (smtp, index) => {
        if (index !== 4) return;
        smtp.hold();
        setTimeout(() => {
          const pid = gateway.pids()["email-dispatch"];
          if (pid) process.kill(pid, "SIGKILL");
          smtp.discardHeld();
        }, 300);
      },
    });
    gateway = await startGateway({
      port: 0,
      jwtSecret: LOCAL_JWT_SECRET,
      quiet: true,
      functions: [{
        name: "email-dispatch",
        verifyJwt: false,
        entrypoint: join(root, "functions", "email-dispatch", "index.ts"),
      }],
      env: {
        SUPABASE_DB_URL: testEnv.dbUrl,
        SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET,
        SMTP_HOST: "127.0.0.1",
        SMTP_PORT: String(server.port),
        DISPATCH_SECRET: secret,
      },
    });
    base = `http://127.0.0.1:${gateway.port}/functions/v1/email-dispatch`;
  }, 90_000);
  afterAll(async () => {
    await gateway?.close();
    await server?.close();
  });

  it("loses nothing and sends nothing twice: the next run picks up the expired leases", async () => {
    const { tag } = await enqueue(20);
    const first = await fetch(base, {
      method: "POST",
      headers: { "x-dispatch-secret": secret, "content-type": "application/json" },
      body: JSON.stringify({ batch_size: 20, lease_seconds: 2, concurrency: 1 }),
    }).then((r) => r.status, () => 0);
    expect(first === 0 || first >= 500).toBe(true); // the process died under the request
    expect(server.accepted.filter((id) => id.includes(tag))).toHaveLength(4);
    const before = await statuses(tag);
    expect(before.filter((s) => s.status === "sending").length).toBe(16); // claimed by the dead run, still leased

    await new Promise((r) => setTimeout(r, 2500)); // the leases expire
    const deadline = Date.now() + 30_000;
    let second = 0;
    while (Date.now() < deadline && second !== 200) {
      second = await fetch(base, { method: "POST", headers: { "x-dispatch-secret": secret } }).then(
        (r) => r.status,
        () => 0,
      );
      if (second !== 200) await new Promise((r) => setTimeout(r, 250)); // the gateway is restarting the process
    }
    expect(second).toBe(200);
    const ours = server.accepted.filter((id) => id.includes(tag));
    expect(ours).toHaveLength(20);
    expect(new Set(ours).size).toBe(20);
    expect((await statuses(tag)).every((s) => s.status === "sent")).toBe(true);
  });
});

describe("the native stack's waker", () => {
  it("dispatches as soon as a message is committed (LISTEN/NOTIFY), without waiting for its timer", async () => {
    const waker = await startWaker({
      dbUrl: testEnv.dbUrl,
      dispatchUrl: dispatchUrl(),
      secret,
      intervalMs: 600_000,
      log: () => {},
    });
    try {
      await waker.idle();
      const { recipients } = await enqueue(1);
      const started = Date.now();
      await waitForMail(recipients[0]!, 1, 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await waker.stop();
    }
  });
});
