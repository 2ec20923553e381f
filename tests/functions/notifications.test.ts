/**
 * Notifications from the outside: notify() → the email in the mail catcher; the export as JSON and
 * CSV; Resend's signed delivery webhooks; an accepted invitation notifying the inviter.
 */
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { verifySvix } from "../../functions/email-events/routes.ts";
import { LOCAL_WEBHOOK_SECRET } from "../../scripts/lib/services.ts";
import { apiKey, createUser, testDb, tokenFor } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { waitForMail } from "../helpers/mail.ts";

const sql = testDb();
const secret = process.env.DISPATCH_SECRET!;
const dispatch = () =>
  fetch(`${testEnv.apiUrl}/functions/v1/email-dispatch`, { method: "POST", headers: { "x-dispatch-secret": secret } });
const exportUrl = (query: string) => `${testEnv.apiUrl}/functions/v1/notifications/export${query}`;

async function sign(
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
  id = `msg_${crypto.randomUUID()}`,
): Promise<Record<string, string>> {
  const raw = Buffer.from(LOCAL_WEBHOOK_SECRET.replace(/^whsec_/, ""), "base64");
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = Buffer.from(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)))
    .toString("base64");
  return {
    "svix-id": id,
    "svix-timestamp": String(timestamp),
    "svix-signature": `v1,${mac}`,
    "content-type": "application/json",
  };
}

describe("notify → email", () => {
  it("delivers an immediate notification email, escaped, in the user's locale", async () => {
    const user = await createUser(sql, { metadata: { locale: "de" } });
    await sql`select private.notify(${user.id}, 'core.test', ${"Vertrag <genehmigt>"}, 'Acme & Co', 'https://app.test/c/1')`;
    await dispatch();
    const [mail] = await waitForMail(user.email);
    expect(mail!.subject).toBe("Vertrag <genehmigt>");
    expect(mail!.html).toContain("Vertrag &lt;genehmigt&gt;");
    expect(mail!.html).toContain("Öffnen");
  });

  it("tells the inviter when their invitation is accepted", async () => {
    const inviter = await createUser(sql);
    const invitee = await createUser(sql);
    const [org] = await sql`insert into public.organizations (name, slug, created_by) values ('N', ${`n-${
      crypto.randomUUID().slice(0, 8)
    }`}, ${inviter.id}) returning id`;
    await sql`
      insert into public.invitations (org_id, email, role_id, token_hash, expires_at, invited_by)
      select ${
      org!.id
    }, ${invitee.email}, id, encode(extensions.digest('x', 'sha256'), 'hex'), now() + interval '1 day', ${inviter.id}
      from public.roles where org_id = ${org!.id} and key = 'viewer'`;
    // As private.accept_invitation does: the invitee becomes a member, then the invitation is accepted by them.
    await sql`insert into public.members (org_id, user_id, role_id) select ${
      org!.id
    }, ${invitee.id}, id from public.roles where org_id = ${org!.id} and key = 'viewer'`;
    await sql`update public.invitations set status = 'accepted', responded_at = now(), accepted_by = ${invitee.id} where org_id = ${
      org!.id
    }`;
    const [note] = await sql`select type, title from public.notifications where user_id = ${inviter.id}`;
    expect(note).toEqual({ type: "core.invitation_accepted", title: `${invitee.email} accepted your invitation` });
  });
});

describe("export", () => {
  it("exports my notifications as JSON and as CSV, nobody else's", async () => {
    const me = await createUser(sql);
    const other = await createUser(sql);
    await sql`select private.notify(${me.id}, 'core.test', ${'Hello, "world"'}, 'line one\nline two')`;
    await sql`select private.notify(${other.id}, 'core.test', 'Not mine')`;
    const token = await tokenFor(me);
    const asJson = await fetch(exportUrl("?format=json"), { headers: { authorization: `Bearer ${token}` } });
    expect(asJson.status).toBe(200);
    expect(asJson.headers.get("content-disposition")).toMatch(/notifications-\d{4}-\d{2}-\d{2}\.json/);
    const { notifications } = await asJson.json();
    expect(notifications.map((n: { title: string }) => n.title)).toEqual(['Hello, "world"']);

    const asCsv = await fetch(exportUrl("?format=csv"), { headers: { authorization: `Bearer ${token}` } });
    expect(asCsv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = parse(await asCsv.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ title: 'Hello, "world"', body: "line one\nline two", type: "core.test" });
  });

  it("neutralises formula cells in the CSV (OWASP): =, +, -, @, tab and CR lead to text, not a formula", async () => {
    const me = await createUser(sql);
    const evil = ['=HYPERLINK("http://evil.test","Click")', "+1+1", "-2+3", "@SUM(A1)", "\tTabbed", "\rReturned"];
    for (const title of evil) {
      await sql`select private.notify(${me.id}, 'core.test', ${title}, ${title}, null, '{}', null, 'urgent')`;
    }
    const asCsv = await fetch(exportUrl("?format=csv"), { headers: { authorization: `Bearer ${await tokenFor(me)}` } });
    const rows = parse(await asCsv.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.title).sort()).toEqual(evil.map((t) => `'${t}`).sort());
    expect(rows.every((r) => r.body!.startsWith("'"))).toBe(true);
    // JSON keeps the text as it is: only spreadsheets evaluate formulas.
    const { notifications } =
      await (await fetch(exportUrl("?format=json"), { headers: { authorization: `Bearer ${await tokenFor(me)}` } }))
        .json();
    expect(notifications.map((n: { title: string }) => n.title).sort()).toEqual([...evil].sort());
  });

  it("answers 422 to a bad format, 401 to anon and no token, 404 elsewhere", async () => {
    const me = await createUser(sql);
    expect(
      (await fetch(exportUrl("?format=xml"), { headers: { authorization: `Bearer ${await tokenFor(me)}` } })).status,
    ).toBe(422);
    expect(
      (await fetch(exportUrl("?format=csv&extra=1"), { headers: { authorization: `Bearer ${await tokenFor(me)}` } }))
        .status,
    ).toBe(422);
    expect((await fetch(exportUrl(""), { headers: { authorization: `Bearer ${await apiKey("anon")}` } })).status).toBe(
      401,
    );
    expect((await fetch(exportUrl(""))).status).toBe(401);
    const elsewhere = await fetch(`${testEnv.apiUrl}/functions/v1/notifications/other`, {
      headers: { authorization: `Bearer ${await tokenFor(me)}` },
    });
    expect(elsewhere.status).toBe(404);
  });
});

describe("Resend's delivery webhooks", () => {
  const url = `${testEnv.apiUrl}/functions/v1/email-events`;

  async function sentNotification() {
    const user = await createUser(sql);
    const [{ id }] = await sql`select private.notify(${user.id}, 'core.test', 'Tracked') as id` as unknown as [
      { id: string },
    ];
    const providerId = `re_${crypto.randomUUID()}`;
    await sql`update private.email_outbox set status = 'sent', sent_at = now(), provider_message_id = ${providerId}
              where idempotency_key like ${`notification:${id}:%`}`;
    return { id, providerId };
  }

  it("records delivered and opened on the notification", async () => {
    const { id, providerId } = await sentNotification();
    for (const type of ["email.delivered", "email.opened"]) {
      const body = JSON.stringify({
        type,
        created_at: "2026-11-21T10:00:00.000Z",
        data: { email_id: providerId, to: ["x@y.test"] },
      });
      const response = await fetch(url, { method: "POST", headers: await sign(body), body });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ recorded: true });
    }
    const [note] = await sql`select email_delivered_at, email_opened_at from public.notifications where id = ${id}`;
    expect(note!.email_delivered_at).toEqual(new Date("2026-11-21T10:00:00.000Z"));
    expect(note!.email_opened_at).toEqual(new Date("2026-11-21T10:00:00.000Z"));
  });

  it("refuses unsigned, forged and stale calls with 401, recording nothing", async () => {
    const { id, providerId } = await sentNotification();
    const body = JSON.stringify({
      type: "email.delivered",
      created_at: "2026-11-21T10:00:00.000Z",
      data: { email_id: providerId },
    });
    expect((await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })).status).toBe(
      401,
    );
    const forged = { ...(await sign(body)), "svix-signature": "v1,AAAA" };
    expect((await fetch(url, { method: "POST", headers: forged, body })).status).toBe(401);
    const stale = await sign(body, Math.floor(Date.now() / 1000) - 3600);
    expect((await fetch(url, { method: "POST", headers: stale, body })).status).toBe(401);
    const tampered = await sign(body);
    expect((await fetch(url, { method: "POST", headers: tampered, body: body.replace("delivered", "opened") })).status)
      .toBe(401);
    expect((await sql`select email_delivered_at from public.notifications where id = ${id}`)[0]!.email_delivered_at)
      .toBeNull();
  });

  it("answers a signed but malformed event with 400 or 422, and ignores other event types", async () => {
    const bad = "{ not json";
    expect((await fetch(url, { method: "POST", headers: await sign(bad), body: bad })).status).toBe(400);
    const wrong = JSON.stringify({ type: "email.delivered", data: {} });
    expect((await fetch(url, { method: "POST", headers: await sign(wrong), body: wrong })).status).toBe(422);
    const other = JSON.stringify({
      type: "email.bounced",
      created_at: "2026-11-21T10:00:00.000Z",
      data: { email_id: "re_x" },
    });
    const response = await fetch(url, { method: "POST", headers: await sign(other), body: other });
    expect(await response.json()).toEqual({ recorded: false, reason: "ignored event email.bounced" });
  });

  it("verifySvix accepts any of several signatures", async () => {
    const body = "{}";
    const headers = new Headers(await sign(body));
    headers.set("svix-signature", `v1,wrong ${headers.get("svix-signature")}`);
    await expect(verifySvix(LOCAL_WEBHOOK_SECRET, headers, body)).resolves.toBeUndefined();
  });
});
