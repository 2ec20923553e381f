/**
 * What an attack on scheduling found, over HTTP through the gateway (the functions run in
 * America/Los_Angeles): calendar times in the resource's zone, no feed secret in the logs, replays
 * that answer 200 whatever the timing and never cross organizations, member attendees who are
 * asked first, and a reschedule burst cut by the outbound email limit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, testDb, type TestUser, tokenFor } from "../helpers/db.ts";
import { testEnv } from "../helpers/env.ts";

const sql = testDb();
const base = () => `${testEnv.apiUrl}/functions/v1/scheduling`;
let booker: TestUser;
let colleague: TestUser;
let token: string;
let orgA: string;
let orgB: string;

async function post(path: string, body: unknown, as = token): Promise<Response> {
  return fetch(`${base()}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${as}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}
const hour = (h: number) => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + h * 3_600_000).toISOString();

async function resource(org: string, name: string, timeZone = "UTC"): Promise<string> {
  const [r] = await sql`insert into public.resources (org_id, name, time_zone, min_notice_minutes, slot_minutes)
    values (${org}, ${name}, ${timeZone}, 0, 15) returning id`;
  await sql`insert into public.availability_rules (org_id, resource_id, weekday, start_time, end_time)
            select ${org}, ${r!.id}, d, '00:00', '24:00' from generate_series(1, 7) d`;
  return r!.id;
}

async function org(name: string, owner: TestUser): Promise<string> {
  return (await sql`insert into public.organizations (name, slug, created_by) values (${name}, ${`${name.toLowerCase()}-${
    crypto.randomUUID().slice(0, 8)
  }`}, ${owner.id}) returning id`)[0]!.id;
}

beforeAll(async () => {
  const owner = await createUser(sql);
  booker = await createUser(sql);
  colleague = await createUser(sql);
  orgA = await org("Hardened", owner);
  orgB = await org("Second", owner);
  for (const o of [orgA, orgB]) {
    await sql`insert into public.members (org_id, user_id, role_id) select ${o}, ${booker.id}, id from public.roles where org_id = ${o} and key = 'member'`;
  }
  await sql`insert into public.members (org_id, user_id, role_id) select ${orgA}, ${colleague.id}, id from public.roles where org_id = ${orgA} and key = 'member'`;
  token = await tokenFor(booker);
});

describe("calendar times", () => {
  it("puts Berlin and New York bookings in the feed at their zone's wall-clock time, and keeps the feed token out of the logs", async () => {
    const berlin = await resource(orgA, "Berlin room", "Europe/Berlin");
    const newYork = await resource(orgA, "New York room", "America/New_York");
    const slots = [{ resource_id: berlin, start: hour(30), end: hour(31) }, {
      resource_id: newYork,
      start: hour(40),
      end: hour(41),
    }];
    const made = [];
    for (const slot of slots) {
      const response = await post("/bookings", slot);
      expect(response.status).toBe(201);
      made.push((await response.json()).booking);
    }
    const { url } = await (await post("/feeds", { label: "Zones" })).json();
    const ics = await (await fetch(`${testEnv.apiUrl}${new URL(url).pathname}`)).text();
    for (const [slot, zone] of [[slots[0]!, "Europe/Berlin"], [slots[1]!, "America/New_York"]] as const) {
      const local = DateTime.fromISO(slot.start).setZone(zone).toFormat("yyyyLLdd'T'HHmmss");
      expect(ics).toContain(`DTSTART;TZID=${zone}:${local}`);
    }
    expect(made).toHaveLength(2);
    const feedToken = new URL(url).pathname.split("/").at(-1)!.replace(/\.ics$/, "");
    await new Promise((r) => setTimeout(r, 200));
    const logs = readFileSync(join(process.env.GROUNDWORK_TEST_LOG_DIR!, "functions.log"), "utf8");
    expect(logs).toContain("/functions/v1/scheduling/feeds/[redacted].ics");
    expect(logs).not.toContain(feedToken);
  });
});

describe("idempotent booking", () => {
  it("answers 201 once and 200 to every one of 50 concurrent replays, with one booking", async () => {
    const room = await resource(orgA, "Replay room");
    const body = { resource_id: room, start: hour(10), end: hour(11), idempotency_key: `burst-${crypto.randomUUID()}` };
    const responses = await Promise.all(Array.from({ length: 50 }, () => post("/bookings", body)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    const ids = new Set(await Promise.all(responses.map(async (r) => (await r.json()).booking.id)));
    expect(ids.size).toBe(1);
    expect(
      (await sql`select count(*)::int as n from public.bookings where idempotency_key = ${body.idempotency_key}`)[0]!.n,
    ).toBe(1);
  });

  it("never replays another organization's booking for a key reused there", async () => {
    const key = `shared-${crypto.randomUUID()}`;
    const a = await post("/bookings", {
      resource_id: await resource(orgA, "Key room A"),
      start: hour(12),
      end: hour(13),
      idempotency_key: key,
    });
    const b = await post("/bookings", {
      resource_id: await resource(orgB, "Key room B"),
      start: hour(12),
      end: hour(13),
      idempotency_key: key,
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await b.json()).booking.org_id).toBe(orgB);
  });

  it("refuses a key reused for a different request (422), booking nothing", async () => {
    const room = await resource(orgA, "Mismatch room");
    const key = `mismatch-${crypto.randomUUID()}`;
    expect(
      (await post("/bookings", { resource_id: room, start: hour(14), end: hour(15), idempotency_key: key })).status,
    ).toBe(201);
    const again = await post("/bookings", { resource_id: room, start: hour(16), end: hour(17), idempotency_key: key });
    expect(again.status).toBe(422);
    expect((await again.json()).error.message).toMatch(/already used for another booking request/);
    expect((await sql`select count(*)::int as n from public.bookings where resource_id = ${room}`)[0]!.n).toBe(1);
  });
});

describe("member attendees", () => {
  it("asks another member before the booking reaches their calendar, and uses their own address", async () => {
    const room = await resource(orgA, "Meeting room");
    const made = await post("/bookings", {
      resource_id: room,
      start: hour(20),
      end: hour(21),
      title: "Anything",
      attendees: [{ user_id: colleague.id, email: "attacker@evil.test" }],
    });
    expect(made.status).toBe(201);
    const booking = (await made.json()).booking;
    const [attendee] =
      await sql`select email, response from public.booking_attendees where booking_id = ${booking.id} and user_id = ${colleague.id}`;
    expect(attendee).toEqual({ email: colleague.email, response: "needs_action" });
    expect(
      (await sql`select count(*)::int as n from public.notifications where user_id = ${colleague.id} and type = 'core.booking_invitation'`)[
        0
      ]!.n,
    ).toBe(1);

    const theirs = await tokenFor(colleague);
    const { url } = await (await post("/feeds", {}, theirs)).json();
    const feed = () => fetch(`${testEnv.apiUrl}${new URL(url).pathname}`).then((r) => r.text());
    expect(await feed()).not.toContain(booking.id);
    const answer = await post(`/bookings/${booking.id}/respond`, { response: "accepted" }, theirs);
    expect(answer.status).toBe(200);
    expect((await answer.json()).attendee).toMatchObject({ response: "accepted", user_id: colleague.id });
    expect(await feed()).toContain(booking.id);
  });

  it("refuses a user who is not a member (422) and an answer from someone not invited (404)", async () => {
    const room = await resource(orgA, "Closed room");
    const outsider = await createUser(sql);
    const refused = await post("/bookings", {
      resource_id: room,
      start: hour(22),
      end: hour(23),
      attendees: [{ user_id: outsider.id }],
    });
    expect(refused.status).toBe(422);
    const made =
      (await (await post("/bookings", { resource_id: room, start: hour(24), end: hour(25) })).json()).booking;
    expect((await post(`/bookings/${made.id}/respond`, { response: "accepted" }, await tokenFor(colleague))).status)
      .toBe(404);
    expect((await post(`/bookings/${made.id}/respond`, { response: "maybe" })).status).toBe(422);
    expect(
      (await post("/bookings", { resource_id: room, start: hour(26), end: hour(27), attendees: [{ name: "Nobody" }] }))
        .status,
    ).toBe(422);
  });
});

describe("outbound email limit", () => {
  it("cuts a reschedule burst to typed addresses with 429 and Retry-After, changing nothing", async () => {
    const room = await resource(orgA, "Burst room");
    const guests = [1, 2, 3].map((i) => ({ email: `burst-${i}-${crypto.randomUUID()}@example.test` }));
    const made = await post("/bookings", {
      resource_id: room,
      start: hour(60),
      end: hour(61),
      title: "Spam",
      attendees: guests,
    });
    expect(made.status).toBe(201);
    const id = (await made.json()).booking.id;
    expect((await sql`select count(*)::int as n from private.email_outbox where recipient = ${guests[0]!.email}`)[0]!.n)
      .toBe(1);
    let limited: Response | undefined;
    let moves = 0;
    for (let i = 0; i < 40 && !limited; i++) {
      const response = await post(`/bookings/${id}/reschedule`, { start: hour(62 + i), end: hour(63 + i) });
      if (response.status === 429) limited = response;
      else {
        expect(response.status).toBe(200);
        moves++;
      }
    }
    expect(limited, "a burst of reschedules is cut").toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited!.headers.get("ratelimit-policy")).toBe("60;w=3600");
    expect((await limited!.json()).error.code).toBe("rate_limited");
    // 60 emails an hour to others: three guests per move.
    expect(moves).toBeLessThanOrEqual(20);
    const [{ start }] = await sql`select lower(period) as start from public.bookings where id = ${id}` as unknown as [
      { start: Date },
    ];
    expect(start.toISOString()).toBe(hour(62 + moves - 1));
    // The booker's own copies do not count; everything to others stays within the hour's 60.
    const queued =
      await sql`select count(*)::int as n from private.email_outbox where data ->> 'booking_id' = ${id} and recipient <> ${booker.email}`;
    expect(queued[0]!.n).toBeLessThanOrEqual(60);
    expect(queued[0]!.n).toBe(3 * (moves + 1));
    // Another organization's members are not blocked by this one's burst.
    const other = await createUser(sql);
    await sql`insert into public.members (org_id, user_id, role_id) select ${orgB}, ${other.id}, id from public.roles where org_id = ${orgB} and key = 'member'`;
    const elsewhere = await post("/bookings", {
      resource_id: await resource(orgB, "Calm room"),
      start: hour(90),
      end: hour(91),
      attendees: [{ email: `calm-${crypto.randomUUID()}@example.test` }],
    }, await tokenFor(other));
    expect(elsewhere.status).toBe(201);
  });
});
