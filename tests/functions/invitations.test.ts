/**
 * Invitations end to end, over HTTP through the gateway and Deno: the email arrives in the mail
 * catcher, the token from it makes the invitee a member; every bad path answers a clear 4xx and
 * writes nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { apiKey, asUser, createUser, testDb, type TestUser, tokenFor, userClaims } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { waitForMail } from "../helpers/mail.ts";

const sql = testDb();
const secret = process.env.DISPATCH_SECRET!;

interface Call {
  token?: string;
  method?: string;
  body?: unknown;
  raw?: string;
}

async function call(path: string, { token, method = "POST", body, raw }: Call = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined || raw !== undefined) headers["content-type"] = "application/json";
  return fetch(`${testEnv.apiUrl}/functions/v1/invitations${path}`, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
}

const dispatch = () =>
  fetch(`${testEnv.apiUrl}/functions/v1/email-dispatch`, { method: "POST", headers: { "x-dispatch-secret": secret } });

async function tokenFromMail(to: string, count = 1): Promise<string> {
  await dispatch();
  const mail = await waitForMail(to, count);
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail.at(-1)!.text)?.[1];
  if (!token) throw new Error("no token in the invitation email");
  return token;
}

let owner: TestUser;
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;
let org: string;
let otherOrg: string;
let memberRole: string;

const invitations = async (email: string) =>
  (await sql`select status::text from public.invitations where org_id = ${org} and email = ${email}`).map((r) =>
    r.status
  );

beforeAll(async () => {
  const users = await Promise.all([1, 2, 3, 4].map(() => createUser(sql)));
  [owner, admin, member, outsider] = [users[0]!, users[1]!, users[2]!, users[3]!];
  const slug = `inv-${crypto.randomUUID().slice(0, 8)}`;
  org =
    (await sql`insert into public.organizations (name, slug, created_by) values ('Invite Co', ${slug}, ${
      owner!.id
    }) returning id`)[0]!.id;
  otherOrg =
    (await sql`insert into public.organizations (name, slug, created_by) values ('Other Co', ${`${slug}-b`}, ${
      outsider!.id
    }) returning id`)[0]!.id;
  const roles = Object.fromEntries(
    (await sql`select key, id from public.roles where org_id = ${org}`).map((r) => [r.key, r.id]),
  );
  memberRole = roles.member;
  await sql`insert into public.members (org_id, user_id, role_id) values (${org}, ${
    admin!.id
  }, ${roles.admin}), (${org}, ${member!.id}, ${roles.member})`;
});

describe("the invitation flow", () => {
  it("invite → the email arrives → accept with its token → the invitee is a member", async () => {
    const invitee = `hire-${crypto.randomUUID()}@example.test`;
    const created = await call("", {
      token: await tokenFor(admin),
      body: { org_id: org, email: invitee, role_id: memberRole, locale: "de" },
    });
    expect(created.status).toBe(201);
    const { invitation } = await created.json();
    expect(invitation).toMatchObject({ email: invitee, status: "pending", resent_count: 0 });
    expect(JSON.stringify(invitation)).not.toMatch(/token/);

    const token = await tokenFromMail(invitee);
    const [mail] = await waitForMail(invitee);
    expect(mail!.subject).toMatch(/hat Sie zu Invite Co eingeladen/);
    const outbox = await sql`select status::text, data from private.email_outbox where recipient = ${invitee}`;
    expect(outbox[0]!.status).toBe("sent");
    expect(outbox[0]!.data.accept_url).toBeUndefined(); // the link (and its token) left the outbox once sent

    const user = await createUser(sql, { email: invitee });
    const accepted = await call("/accept", { token: await tokenFor(user), body: { token } });
    expect(accepted.status).toBe(200);
    expect((await accepted.json()).member).toMatchObject({
      org_id: org,
      user_id: user.id,
      role_id: memberRole,
      status: "active",
    });
    expect(await invitations(invitee)).toEqual(["accepted"]);

    const again = await call("/accept", { token: await tokenFor(user), body: { token } });
    expect(again.status).toBe(410);
    expect((await again.json()).error.message).toBe("Cannot accept invitation: it has already been accepted");
  });

  it("refuses a token sent to someone else (403), and an expired (410) or revoked one (410)", async () => {
    const invitee = `x-${crypto.randomUUID()}@example.test`;
    await call("", { token: await tokenFor(admin), body: { org_id: org, email: invitee, role_id: memberRole } });
    const token = await tokenFromMail(invitee);
    const wrong = await call("/accept", { token: await tokenFor(outsider), body: { token } });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.message).toBe("Cannot accept invitation: it was sent to another address");

    const user = await createUser(sql, { email: invitee });
    await sql`update public.invitations set expires_at = now() - interval '1 minute' where email = ${invitee}`;
    const expired = await call("/accept", { token: await tokenFor(user), body: { token } });
    expect(expired.status).toBe(410);
    expect((await expired.json()).error.message).toBe("Cannot accept invitation: it has expired");
    expect(await invitations(invitee)).toEqual(["pending"]); // the refusal changed nothing; the expiry job marks it

    const revokedTo = `r-${crypto.randomUUID()}@example.test`;
    const { invitation } = await (await call("", {
      token: await tokenFor(admin),
      body: { org_id: org, email: revokedTo, role_id: memberRole },
    })).json();
    const revokedToken = await tokenFromMail(revokedTo);
    expect((await call(`/${invitation.id}/revoke`, { token: await tokenFor(admin) })).status).toBe(200);
    const revokedUser = await createUser(sql, { email: revokedTo });
    const revoked = await call("/accept", { token: await tokenFor(revokedUser), body: { token: revokedToken } });
    expect(revoked.status).toBe(410);
    expect(await sql`select 1 from public.members where user_id = ${revokedUser.id}`).toHaveLength(0);
  });

  it("resends with a new token and kills the old one", async () => {
    const invitee = `again-${crypto.randomUUID()}@example.test`;
    const { invitation } = await (await call("", {
      token: await tokenFor(admin),
      body: { org_id: org, email: invitee, role_id: memberRole },
    })).json();
    const first = await tokenFromMail(invitee);
    const resent = await call(`/${invitation.id}/resend`, { token: await tokenFor(admin) });
    expect(resent.status).toBe(200);
    expect((await resent.json()).invitation.resent_count).toBe(1);
    const second = await tokenFromMail(invitee, 2);
    expect(second).not.toBe(first);
    const user = await createUser(sql, { email: invitee });
    expect((await call("/accept", { token: await tokenFor(user), body: { token: first } })).status).toBe(404);
    expect((await call("/accept", { token: await tokenFor(user), body: { token: second } })).status).toBe(200);
  });

  it("lets the invitee decline with only the anon key and the token, joining nothing", async () => {
    const invitee = `no-${crypto.randomUUID()}@example.test`;
    await call("", { token: await tokenFor(admin), body: { org_id: org, email: invitee, role_id: memberRole } });
    const token = await tokenFromMail(invitee);
    const declined = await call("/decline", { token: await apiKey("anon"), body: { token } });
    expect(declined.status).toBe(200);
    expect(await invitations(invitee)).toEqual(["declined"]);
  });

  it("lists the organization's invitations for inviters and my pending ones for the invitee", async () => {
    const invitee = `list-${crypto.randomUUID()}@example.test`;
    await call("", { token: await tokenFor(admin), body: { org_id: org, email: invitee, role_id: memberRole } });
    const list = await call(`?org_id=${org}&status=pending`, { token: await tokenFor(admin), method: "GET" });
    expect(list.status).toBe(200);
    expect((await list.json()).invitations.map((i: { email: string }) => i.email)).toContain(invitee);
    expect((await call(`?org_id=${org}`, { token: await tokenFor(member), method: "GET" })).status).toBe(403);
    const user = await createUser(sql, { email: invitee });
    const mine = await call("/mine", { token: await tokenFor(user), method: "GET" });
    expect((await mine.json()).invitations.map((i: { email: string }) => i.email)).toEqual([invitee]);
  });

  it("sends nothing when the change rolls back", async () => {
    const invitee = `rollback-${crypto.randomUUID()}@example.test`;
    await expect(asUser(sql, userClaims(admin), async (tx) => {
      await tx`select private.invite_member(${org}, ${invitee}, ${memberRole}, null, ${
        "t".repeat(43)
      }, 'https://app.test/accept')`;
      throw new Error("the request failed after inviting");
    })).rejects.toThrow("the request failed after inviting");
    expect(await sql`select 1 from private.email_outbox where recipient = ${invitee}`).toHaveLength(0);
    expect(await invitations(invitee)).toEqual([]);
  });
});

describe("bad input answers a clear 4xx and writes nothing", () => {
  const before = async () =>
    (await sql`select count(*)::int as n from public.invitations where org_id in (${org}, ${otherOrg})`)[0]!.n;

  it.each([
    ["malformed JSON", { raw: "{ email: " }, 400],
    ["a wrong type", { body: { org_id: 42, email: "a@b.test", role_id: "x" } }, 422],
    ["a missing field", { body: { email: "a@b.test" } }, 422],
    ["an invalid email", {
      body: {
        org_id: "00000000-0000-4000-8000-000000000000",
        email: "not an email",
        role_id: "00000000-0000-4000-8000-000000000000",
      },
    }, 422],
    ["an unknown field", {
      body: {
        org_id: "00000000-0000-4000-8000-000000000000",
        email: "a@b.test",
        role_id: "00000000-0000-4000-8000-000000000000",
        admin: true,
      },
    }, 422],
    ["an oversize body", { raw: JSON.stringify({ pad: "x".repeat(10_000) }) }, 413],
  ])("%s → %i", async (_label, request, status) => {
    const count = await before();
    const response = await call("", { token: await tokenFor(admin), ...request });
    expect(response.status).toBe(status);
    expect((await response.json()).error.code).toBeTruthy();
    expect(await before()).toBe(count);
  });

  it("another tenant's organization → 403", async () => {
    const count = await before();
    const otherRole = (await sql`select id from public.roles where org_id = ${otherOrg} and key = 'member'`)[0]!.id;
    const response = await call("", {
      token: await tokenFor(admin),
      body: { org_id: otherOrg, email: "spy@example.test", role_id: otherRole },
    });
    expect(response.status).toBe(403);
    expect(await before()).toBe(count);
  });

  it("another tenant's invitation id → 404", async () => {
    const foreign = (await sql`
      insert into public.invitations (org_id, email, role_id, token_hash, expires_at)
      select ${otherOrg}, 'foreign@example.test', id, encode(extensions.digest(gen_random_uuid()::text, 'sha256'), 'hex'), now() + interval '1 day'
      from public.roles where org_id = ${otherOrg} and key = 'viewer' returning id`)[0]!.id;
    expect((await call(`/${foreign}/revoke`, { token: await tokenFor(admin) })).status).toBe(404);
    expect((await sql`select status::text from public.invitations where id = ${foreign}`)[0]!.status).toBe("pending");
  });

  it("a malformed or unknown token → 422 or 404", async () => {
    expect((await call("/accept", { token: await tokenFor(member), body: { token: "short" } })).status).toBe(422);
    expect((await call("/accept", { token: await tokenFor(member), body: { token: "u".repeat(43) } })).status).toBe(
      404,
    );
  });

  it("no token → 401, the anon key → 401 for inviting", async () => {
    expect((await call("", { body: { org_id: org } })).status).toBe(401);
    const anon = await call("", {
      token: await apiKey("anon"),
      body: { org_id: org, email: "a@b.test", role_id: memberRole },
    });
    expect(anon.status).toBe(401);
  });

  it("too many invitations → 429 with Retry-After, and nothing written", async () => {
    await sql`
      insert into private.rate_limits (key, window_start, hits)
      values (${`invite:user:${admin.id}`}, to_timestamp(floor(extract(epoch from now()) / 3600) * 3600), 30)
      on conflict (key, window_start) do update set hits = 30`;
    const invitee = `limit-${crypto.randomUUID()}@example.test`;
    const response = await call("", {
      token: await tokenFor(admin),
      body: { org_id: org, email: invitee, role_id: memberRole },
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(response.headers.get("ratelimit-limit")).toBe("30");
    expect(response.headers.get("ratelimit-remaining")).toBe("0");
    expect(response.headers.get("ratelimit-policy")).toBe("30;w=3600");
    expect(response.headers.get("ratelimit-reset")).toBe(response.headers.get("retry-after"));
    expect((await response.json()).error.code).toBe("rate_limited");
    expect(await invitations(invitee)).toEqual([]);
    await sql`delete from private.rate_limits where key = ${`invite:user:${admin.id}`}`;
  });
});
