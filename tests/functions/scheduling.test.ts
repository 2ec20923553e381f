/**
 * The scheduling function over HTTP, through the gateway and Deno: concurrency decided by the
 * database, idempotent retries, reschedule and cancel, bad input, the .ics email, the feed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, testDb, type TestUser, tokenFor } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";
import { waitForMail } from "../helpers/mail.ts";

const sql = testDb();
const base = () => `${testEnv.apiUrl}/functions/v1/scheduling`;
let member: TestUser;
let org: string;
let room: string;
let token: string;

async function post(path: string, body: unknown, as = token): Promise<Response> {
  return fetch(`${base()}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${as}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}
const hour = (h: number) => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + h * 3_600_000).toISOString();

async function resource(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const values = { org_id: org, name, time_zone: "UTC", min_notice_minutes: 0, slot_minutes: 15, ...extra };
  const [r] = await sql`insert into public.resources ${sql(values as unknown as Record<string, string>)} returning id`;
  await sql`insert into public.availability_rules (org_id, resource_id, weekday, start_time, end_time)
            select ${org}, ${r!.id}, d, '00:00', '24:00' from generate_series(1, 7) d`;
  return r!.id;
}

beforeAll(async () => {
  const owner = await createUser(sql);
  member = await createUser(sql);
  org =
    (await sql`insert into public.organizations (name, slug, created_by) values ('Clinic', ${`clinic-${
      crypto.randomUUID().slice(0, 8)
    }`}, ${owner.id}) returning id`)[0]!.id;
  await sql`insert into public.members (org_id, user_id, role_id) select ${org}, ${member.id}, id from public.roles where org_id = ${org} and key = 'manager'`;
  room = await resource("Dr. Weiss");
  token = await tokenFor(member);
});

const overlaps = async (resourceId: string) =>
  (await sql`
  select count(*)::int as n from public.bookings a join public.bookings b
    on a.resource_id = b.resource_id and a.id < b.id and a.blocked && b.blocked
  where a.resource_id = ${resourceId} and a.status in ('held', 'confirmed') and b.status in ('held', 'confirmed')`)[0]!
    .n;

describe("concurrency, decided by the database", () => {
  it("64 concurrent clients booking the same slot: exactly one 201, the rest 409, no overlap", async () => {
    const slot = { resource_id: room, start: hour(5), end: hour(6) };
    const responses = await Promise.all(
      Array.from({ length: 64 }, (_, i) => post("/bookings", { ...slot, title: `Client ${i}` })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(63);
    const clash = await responses.find((r) => r.status === 409)!.json();
    const { start, end } = clash.error.details.clash;
    expect([new Date(start).toISOString(), new Date(end).toISOString()]).toEqual([slot.start, slot.end]);
    expect(await overlaps(room)).toBe(0);
  });

  it("10,000 random bookings by concurrent clients: zero overlaps", async () => {
    const rooms = [await resource("Room A"), await resource("Room B"), await resource("Room C")];
    const grid = Date.now() + 2 * 3_600_000;
    const random = () => {
      const start = Math.floor(grid / 900_000) * 900_000 + Math.floor(Math.random() * 30 * 96) * 900_000;
      return {
        resource_id: rooms[Math.floor(Math.random() * 3)]!,
        start: new Date(start).toISOString(),
        end: new Date(start + (1 + Math.floor(Math.random() * 8)) * 900_000).toISOString(),
      };
    };
    const counts = { created: 0, clashed: 0, other: 0 };
    const queue = Array.from({ length: 10_000 }, random);
    // One user books 10,000 times in a minute: as an operator would for a load test, the route's
    // per-user limit is raised for its duration (the default, 120 a minute, would cut it).
    const [rule] = await sql`insert into private.request_limits (subject, route, max_hits, per, description)
      values ('user', 'scheduling POST /bookings', 20000, interval '1 minute', 'load test') returning id`;
    try {
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let next = queue.pop(); next; next = queue.pop()) {
          const status = (await post("/bookings", next)).status;
          if (status === 201) counts.created++;
          else if (status === 409) counts.clashed++;
          else counts.other++;
        }
      }));
    } finally {
      await sql`delete from private.request_limits where id = ${rule!.id}`;
    }
    expect(counts.other).toBe(0);
    expect(counts.created + counts.clashed).toBe(10_000);
    expect(counts.created).toBeGreaterThan(1000);
    for (const r of rooms) expect(await overlaps(r)).toBe(0);
    // Each booking queued a confirmation for its booker; drop them so later tests' mail is not stuck behind thousands.
    await sql`delete from private.email_outbox where org_id = ${org} and status = 'pending'`;
  }, 300_000);
});

describe("bookings", () => {
  it("returns the first booking when a request is retried with its idempotency key", async () => {
    const body = { resource_id: room, start: hour(10), end: hour(11), idempotency_key: `retry-${crypto.randomUUID()}` };
    const first = await post("/bookings", body);
    const second = await post("/bookings", body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect((await second.json()).booking.id).toBe((await first.json()).booking.id);
  });

  it("holds, confirms, reschedules atomically and cancels", async () => {
    const held = await (await post("/bookings", { resource_id: room, start: hour(20), end: hour(21), hold: true }))
      .json();
    expect(held.booking.status).toBe("held");
    expect((await (await post(`/bookings/${held.booking.id}/confirm`, {})).json()).booking.status).toBe("confirmed");
    const other = await (await post("/bookings", { resource_id: room, start: hour(22), end: hour(23) })).json();
    const clash = await post(`/bookings/${held.booking.id}/reschedule`, { start: hour(22), end: hour(23) });
    expect(clash.status).toBe(409);
    expect(
      (await sql`select lower(period) as start from public.bookings where id = ${held.booking.id}`)[0]!.start
        .toISOString(),
    ).toBe(hour(20));
    const moved = await post(`/bookings/${held.booking.id}/reschedule`, { start: hour(24), end: hour(25) });
    expect(moved.status).toBe(200);
    const cancelled = await post(`/bookings/${other.booking.id}/cancel`, { reason: "No longer needed" });
    expect((await cancelled.json()).booking).toMatchObject({ status: "cancelled", cancel_reason: "No longer needed" });
  });

  it("emails the attendees a confirmation with an .ics invitation and a video link", async () => {
    const guest = `guest-${crypto.randomUUID()}@example.test`;
    const created = await (await post("/bookings", {
      resource_id: room,
      start: hour(30),
      end: hour(31),
      title: "Consultation",
      attendees: [{ email: guest, name: "Guest" }],
    })).json();
    expect(created.booking.video_url).toMatch(/^https:\/\/meet\.jit\.si\/groundwork-/);
    await fetch(`${testEnv.apiUrl}/functions/v1/email-dispatch`, {
      method: "POST",
      headers: { "x-dispatch-secret": process.env.DISPATCH_SECRET! },
    });
    const [mail] = await waitForMail(guest);
    expect(mail!.subject).toMatch(/^Booked: Consultation on /);
    const attachments =
      (mail as unknown as { attachments?: { generatedFileName: string; contentType: string }[] }).attachments ?? [];
    expect(attachments.map((a) => a.contentType)).toContain("text/calendar");
    const ics =
      await (await fetch(`${testEnv.mailUrl}/email/${mail!.id}/attachment/${attachments[0]!.generatedFileName}`))
        .text();
    expect(ics).toContain("BEGIN:VEVENT");
    expect(ics).toContain(`UID:${created.booking.id}@groundwork`);
    expect(ics).toContain("METHOD:REQUEST");
  });
});

describe("bad input answers a clear 4xx and writes nothing", () => {
  const count = async () => (await sql`select count(*)::int as n from public.bookings where org_id = ${org}`)[0]!.n;

  it.each([
    ["an end before the start", () => ({ resource_id: room, start: hour(40), end: hour(39) }), 422],
    ["a time in the past", () => ({ resource_id: room, start: hour(-5), end: hour(-4) }), 422],
    ["a wrong type", () => ({ resource_id: room, start: 12, end: hour(41) }), 422],
    ["a missing field", () => ({ resource_id: room }), 422],
    ["an unknown field", () => ({ resource_id: room, start: hour(40), end: hour(41), admin: true }), 422],
    [
      "a resource of another organization",
      () => ({ resource_id: "00000000-0000-4000-8000-000000000999", start: hour(40), end: hour(41) }),
      404,
    ],
  ])("%s → %i", async (_label, body, status) => {
    const before = await count();
    expect((await post("/bookings", body())).status).toBe(status);
    expect(await count()).toBe(before);
  });

  it("malformed JSON → 400, no token → 401, a time outside availability → 422", async () => {
    const before = await count();
    const bad = await fetch(`${base()}/bookings`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{ start:",
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${base()}/bookings`, { method: "POST", body: "{}" })).status).toBe(401);
    const closed = await resource("Closed room");
    await sql`delete from public.availability_rules where resource_id = ${closed}`;
    expect((await post("/bookings", { resource_id: closed, start: hour(40), end: hour(41) })).status).toBe(422);
    expect(await count()).toBe(before);
  });

  it("availability: 422 for a reversed range, 404 for another organization's resource", async () => {
    const get = (q: string) => fetch(`${base()}/availability?${q}`, { headers: { authorization: `Bearer ${token}` } });
    expect((await get(`resource_id=${room}&from=${hour(5)}&to=${hour(1)}&duration_minutes=30`)).status).toBe(422);
    expect(
      (await get(`resource_id=00000000-0000-4000-8000-000000000999&from=${hour(1)}&to=${hour(5)}&duration_minutes=30`))
        .status,
    ).toBe(404);
    const ok = await get(
      `resource_id=${room}&from=${encodeURIComponent(hour(100))}&to=${
        encodeURIComponent(hour(103))
      }&duration_minutes=60`,
    );
    expect(ok.status).toBe(200);
    expect((await ok.json()).slots.length).toBeGreaterThan(0);
  });
});

describe("calendar feeds", () => {
  it("serves the user's bookings as iCalendar at a secret URL, until revoked", async () => {
    const booking =
      await (await post("/bookings", { resource_id: room, start: hour(50), end: hour(51), title: "Feed me" })).json();
    const created = await post("/feeds", { label: "Work" });
    expect(created.status).toBe(201);
    const { feed, url } = await created.json();
    const path = new URL(url).pathname;
    const ics = await fetch(`${testEnv.apiUrl}${path}`);
    expect(ics.status).toBe(200);
    expect(ics.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    const text = await ics.text();
    expect(text).toContain(`UID:${booking.booking.id}@groundwork`);
    expect(text).toContain("SUMMARY:Feed me");
    expect((await sql`select token_hash from public.calendar_feeds where id = ${feed.id}`)[0]!.token_hash).toMatch(
      /^[0-9a-f]{64}$/,
    );
    await sql`update public.calendar_feeds set revoked_at = now() where id = ${feed.id}`;
    expect((await fetch(`${testEnv.apiUrl}${path}`)).status).toBe(404);
    expect((await fetch(`${base()}/feeds/${"x".repeat(43)}.ics`)).status).toBe(404);
  });
});
