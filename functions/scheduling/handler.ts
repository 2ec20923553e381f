/**
 * scheduling: availability, bookings and calendar feeds.
 *
 *   GET  /scheduling/availability?resource_id&from&to&duration_minutes   free slots (DST-correct)
 *   POST /scheduling/bookings        { resource_id, start, end, title?, notes?, hold?, idempotency_key?, attendees? } → 201 (200 on a retry)
 *   POST /scheduling/bookings/:id/confirm                                confirm a hold
 *   POST /scheduling/bookings/:id/reschedule   { start, end }            atomic; 409 on a clash
 *   POST /scheduling/bookings/:id/cancel       { reason }
 *   POST /scheduling/bookings/:id/respond      { response: accepted|declined }   a member attendee answers
 *   POST /scheduling/feeds           { label? }                          → 201 { feed, url } (the URL is shown once)
 *   GET  /scheduling/feeds/:token.ics                                    the iCalendar feed (the token is the credential)
 *
 * A clash answers 409 with the clashing time; the database's exclusion constraint decides, so two
 * concurrent requests for one slot cannot both win.
 */
import { z } from "zod";
import { authenticate, type Claims } from "../_shared/auth.ts";
import { randomToken } from "../_shared/crypto.ts";
import { asCaller, callerRequest, type Tx } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { notFound, unauthorized, unprocessable } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readJson, readQuery, validate } from "../_shared/http.ts";
import { bookingFeed } from "../_shared/ical.ts";
import { createRuntime, type Runtime } from "../_shared/runtime.ts";
import { type AvailabilityInput, freeSlots, withinAvailability } from "./availability.ts";

const Instant = z.iso.datetime({ offset: true });

export const AvailabilityQuery = z.object({
  resource_id: z.uuid(),
  from: Instant,
  to: Instant,
  duration_minutes: z.coerce.number().int().min(5).max(1440),
}).strict().refine((q) => new Date(q.to) > new Date(q.from), { message: "to must be after from", path: ["to"] })
  .refine((q) => new Date(q.to).getTime() - new Date(q.from).getTime() <= 62 * 86_400_000, {
    message: "the range is at most 62 days",
    path: ["to"],
  });

export const BookingRequest = z.object({
  resource_id: z.uuid(),
  start: Instant,
  end: Instant,
  title: z.string().max(200).optional(),
  notes: z.string().max(4000).optional(),
  hold: z.boolean().default(false),
  idempotency_key: z.string().min(8).max(200).optional(),
  // A guest by email, or a member by user_id (their own address is used; they are asked to accept).
  attendees: z.array(
    z.object({ email: z.email().optional(), name: z.string().max(200).optional(), user_id: z.uuid().optional() })
      .strict()
      .refine((a) => a.email !== undefined || a.user_id !== undefined, {
        message: "give the attendee's email, or a member's user_id",
      }),
  ).max(20).default([]),
}).strict().refine((b) => new Date(b.end) > new Date(b.start), { message: "end must be after start", path: ["end"] });

export const RescheduleRequest = z.object({ start: Instant, end: Instant }).strict()
  .refine((b) => new Date(b.end) > new Date(b.start), { message: "end must be after start", path: ["end"] });
export const CancelRequest = z.object({ reason: z.string().max(500).default("") }).strict();
export const FeedRequest = z.object({ label: z.string().max(100).optional() }).strict();
export const RespondRequest = z.object({ response: z.enum(["accepted", "declined"]) }).strict();

const BOOKING_COLUMNS =
  "id, org_id, resource_id, lower(period) as start, upper(period) as end, status, hold_expires_at, title, notes, booked_by, idempotency_key, video_url, cancel_reason, created_at";

export const SchedulingEnv = BaseEnv.extend({
  VIDEO_PROVIDER: z.enum(["jitsi", "none"]).default("jitsi"),
  JITSI_BASE_URL: z.url().default("https://meet.jit.si"),
});

/** A video-meeting link for a new booking, from the configured provider. */
export type VideoProvider = () => string | null;
export function videoProvider(env: { VIDEO_PROVIDER: "jitsi" | "none"; JITSI_BASE_URL: string }): VideoProvider {
  if (env.VIDEO_PROVIDER === "none") return () => null;
  return () => new URL(`/groundwork-${randomToken(12)}`, env.JITSI_BASE_URL).toString();
}

export interface SchedulingDeps extends Runtime {
  video: VideoProvider;
  publicUrl: string;
}

async function availabilityInput(tx: Tx, resourceId: string, from: Date, to: Date): Promise<AvailabilityInput | null> {
  const [resource] = await tx`select * from public.resources where id = ${resourceId} and active`;
  if (!resource) return null;
  const rules =
    await tx`select weekday, start_time::text as start, end_time::text as end from public.availability_rules where resource_id = ${resourceId}`;
  const overrides =
    await tx`select local_date::text as date, start_time::text as start, end_time::text as end from public.availability_overrides where resource_id = ${resourceId}`;
  const margin = 2 * 86_400_000;
  const range = `[${new Date(from.getTime() - margin).toISOString()},${new Date(to.getTime() + margin).toISOString()})`;
  const timeOff =
    await tx`select lower(period) as start, upper(period) as end from public.time_off where resource_id = ${resourceId} and period && ${range}::tstzrange`;
  const busy = await tx`
    select lower(blocked) as start, upper(blocked) as end from public.bookings
    where resource_id = ${resourceId} and blocked && ${range}::tstzrange
      and (status = 'confirmed' or (status = 'held' and hold_expires_at > now()))`;
  return {
    timeZone: resource.time_zone,
    slotMinutes: resource.slot_minutes,
    bufferBeforeMinutes: resource.buffer_before_minutes,
    bufferAfterMinutes: resource.buffer_after_minutes,
    minNoticeMinutes: resource.min_notice_minutes,
    maxHorizonDays: resource.max_horizon_days,
    rules: rules.map((r) => ({ weekday: r.weekday, start: r.start, end: r.end })),
    overrides: overrides.map((o) => ({ date: o.date, start: o.start, end: o.end })),
    timeOff: timeOff.map((t) => ({ start: t.start, end: t.end })),
    busy: busy.map((b) => ({ start: b.start, end: b.end })),
  };
}

export function createSchedulingHandler(deps: SchedulingDeps): Handler {
  return createHandler(
    { name: "scheduling", methods: ["GET", "POST"], maxBodyBytes: 16 * 1024 },
    async (request, { url, requestId }) => {
      const segments = url.pathname.split("/").filter(Boolean);
      const [area, id, action, ...rest] = segments.slice(segments.lastIndexOf("scheduling") + 1);
      if (rest.length > 0) throw notFound(`Nothing is served at ${url.pathname}`);

      // The feed: no JWT (calendar apps cannot send one); the secret token is the credential.
      if (request.method === "GET" && area === "feeds" && id?.endsWith(".ics") && !action) {
        const token = validate(z.string().min(22).max(128).regex(/^[A-Za-z0-9_-]+$/), id.slice(0, -4), "feed token");
        const service: Claims = { role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 };
        const rows = await asCaller(deps.sql, service, (tx) =>
          tx`
        select id, title, resource_name, lower(period) as start, upper(period) as end, status, video_url, updated_at, time_zone
        from private.calendar_feed_bookings(${token})`);
        const ics = bookingFeed(
          "Groundwork bookings",
          rows.map((r) => ({
            id: r.id,
            title: r.title,
            location: r.resource_name,
            start: r.start,
            end: r.end,
            timeZone: r.time_zone,
            videoUrl: r.video_url,
            sequence: Math.floor(new Date(r.updated_at).getTime() / 1000),
            cancelled: r.status === "cancelled",
          })),
        );
        return new Response(ics, {
          headers: { "content-type": "text/calendar; charset=utf-8", "cache-control": "private, max-age=300" },
        });
      }

      const claims = await authenticate(request, deps.verify);
      if (claims.role !== "authenticated") throw unauthorized("Cannot use scheduling: sign in first");
      const run = <T>(fn: (tx: Tx) => Promise<T>) => asCaller(deps.sql, claims, fn, callerRequest(request, requestId));

      if (request.method === "GET" && area === "availability" && !id) {
        const query = readQuery(url, AvailabilityQuery);
        const from = new Date(query.from);
        const to = new Date(query.to);
        const slots = await run(async (tx) => {
          const input = await availabilityInput(tx, query.resource_id, from, to);
          if (!input) throw notFound(`Cannot show availability: no resource ${query.resource_id} you may see`);
          const [{ now }] = await tx`select private.now() as now` as unknown as [{ now: Date }];
          return freeSlots(input, from, to, query.duration_minutes, now);
        });
        return json({ resource_id: query.resource_id, duration_minutes: query.duration_minutes, slots });
      }
      if (request.method === "POST" && area === "bookings" && !id) {
        const body = await readJson(request, BookingRequest);
        const start = new Date(body.start);
        const end = new Date(body.end);
        const { booking, replay } = await run(async (tx) => {
          // A retry with the same key answers the first booking (200); the database decides what a
          // replay is (per user and organization), here and again under the resource's lock.
          const [earlier] = await tx`select ${
            tx.unsafe(BOOKING_COLUMNS)
          } from private.booking_replay(${body.resource_id}, ${body.idempotency_key ?? null}) as b
          where b.id is not null`;
          if (!earlier) {
            const input = await availabilityInput(tx, body.resource_id, start, end);
            if (!input) throw notFound(`Cannot book: no resource ${body.resource_id} you may see`);
            if (!withinAvailability(input, start, end)) {
              throw unprocessable("Cannot book: the time is outside the resource's availability");
            }
          }
          const [row] = await tx`select ${tx.unsafe(BOOKING_COLUMNS)}, replayed from (
          select (r.booking).*, r.replayed from private.book_resource(${body.resource_id}, ${start}, ${end},
            ${body.title ?? null}, ${body.notes ?? null}, ${body.hold}, ${
            body.idempotency_key ?? null
          }, ${deps.video()},
            ${tx.json(body.attendees)}::jsonb) r) as b`;
          const { replayed, ...booking } = row!;
          return { booking, replay: replayed as boolean };
        });
        return json({ booking }, { status: replay ? 200 : 201 });
      }
      if (request.method === "POST" && area === "bookings" && id) {
        const bookingId = validate(z.uuid(), id, "booking id");
        if (action === "confirm") {
          const [booking] = await run((tx) =>
            tx`select ${tx.unsafe(BOOKING_COLUMNS)} from private.confirm_hold(${bookingId}) as b`
          );
          return json({ booking });
        }
        if (action === "reschedule") {
          const body = await readJson(request, RescheduleRequest);
          const [booking] = await run(async (tx) => {
            const [current] = await tx`select resource_id from public.bookings where id = ${bookingId}`;
            if (current) {
              const input = await availabilityInput(tx, current.resource_id, new Date(body.start), new Date(body.end));
              if (input && !withinAvailability(input, new Date(body.start), new Date(body.end))) {
                throw unprocessable("Cannot reschedule: the new time is outside the resource's availability");
              }
            }
            return tx`select ${tx.unsafe(BOOKING_COLUMNS)} from private.reschedule_booking(${bookingId}, ${new Date(
              body.start,
            )}, ${new Date(body.end)}) as b`;
          });
          return json({ booking });
        }
        if (action === "respond") {
          const { response } = await readJson(request, RespondRequest);
          const [attendee] = await run((tx) =>
            tx`select booking_id, user_id, email, name, response from private.respond_to_booking(${bookingId}, ${response})`
          );
          return json({ attendee });
        }
        if (action === "cancel") {
          const { reason } = await readJson(request, CancelRequest);
          const [booking] = await run((tx) =>
            tx`select ${tx.unsafe(BOOKING_COLUMNS)} from private.cancel_booking(${bookingId}, ${reason}) as b`
          );
          return json({ booking });
        }
      }
      if (request.method === "POST" && area === "feeds" && !id) {
        const hasBody = (request.headers.get("content-length") ?? "0") !== "0";
        const { label } = hasBody ? await readJson(request, FeedRequest) : FeedRequest.parse({});
        const token = randomToken();
        const [feed] = await run((tx) =>
          tx`select id, label, created_at from private.create_calendar_feed(${token}, ${label ?? null})`
        );
        return json({ feed, url: new URL(`/functions/v1/scheduling/feeds/${token}.ics`, deps.publicUrl).toString() }, {
          status: 201,
        });
      }
      throw notFound(`Nothing is served at ${url.pathname}`);
    },
  );
}

function fromEnv(): SchedulingDeps {
  const env = readEnv(SchedulingEnv, runtimeEnv(), "function scheduling");
  return { ...createRuntime("scheduling"), video: videoProvider(env), publicUrl: env.SUPABASE_URL };
}

export const handler: Handler = createSchedulingHandler(fromEnv());
