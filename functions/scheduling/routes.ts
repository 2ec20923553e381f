/**
 * scheduling: availability, bookings and calendar feeds. A clash answers 409 with the clashing
 * time; the database's exclusion constraint decides, so two concurrent requests for one slot
 * cannot both win. The route table below is the function; openapi.json is built from it.
 */
import { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { serviceClaims } from "../_shared/auth.ts";
import { randomToken } from "../_shared/crypto.ts";
import { asCaller, type Tx } from "../_shared/db.ts";
import { notFound, unprocessable } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import { bookingFeed } from "../_shared/ical.ts";
import type { Runtime } from "../_shared/runtime.ts";
import { type AvailabilityInput, freeSlots, withinAvailability } from "./availability.ts";
import {
  Attendee,
  Availability,
  AvailabilityQuery,
  BookingAnswer,
  BookingId,
  BookingRequest,
  CancelRequest,
  Feed,
  FeedFile,
  FeedRequest,
  RescheduleRequest,
  RespondRequest,
} from "./schemas.ts";

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
type C = Ctx<SchedulingDeps>;

const BOOKING_COLUMNS =
  "id, org_id, resource_id, lower(period) as start, upper(period) as end, status, hold_expires_at, title, notes, booked_by, idempotency_key, video_url, cancel_reason, created_at";

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

const clash = { description: "The time clashes with another booking (details name it)" };

export const routes = {
  getAvailability: defineRoute({
    name: "getAvailability",
    method: "get",
    path: "/availability",
    summary: "Free slots of a resource (DST-correct, in the resource's zone)",
    access: "user",
    query: AvailabilityQuery,
    responses: { 200: { description: "The free slots", schema: Availability } },
  }),
  createBooking: defineRoute({
    name: "createBooking",
    method: "post",
    path: "/bookings",
    summary: "Book a resource, or hold a slot (a retry with the same idempotency_key answers the first booking)",
    access: "user",
    body: BookingRequest,
    responses: {
      201: { description: "Booked", schema: BookingAnswer },
      200: { description: "A retry: the booking made with this idempotency_key", schema: BookingAnswer },
      409: clash,
    },
  }),
  confirmBooking: defineRoute({
    name: "confirmBooking",
    method: "post",
    path: "/bookings/{id}/confirm",
    summary: "Confirm a hold",
    access: "user",
    params: BookingId,
    responses: { 200: { description: "Confirmed", schema: BookingAnswer } },
  }),
  rescheduleBooking: defineRoute({
    name: "rescheduleBooking",
    method: "post",
    path: "/bookings/{id}/reschedule",
    summary: "Move a booking atomically (attendees are told)",
    access: "user",
    params: BookingId,
    body: RescheduleRequest,
    responses: { 200: { description: "Moved", schema: BookingAnswer }, 409: clash },
  }),
  respondToBooking: defineRoute({
    name: "respondToBooking",
    method: "post",
    path: "/bookings/{id}/respond",
    summary: "A member attendee accepts or declines",
    access: "user",
    params: BookingId,
    body: RespondRequest,
    responses: { 200: { description: "Recorded", schema: z.object({ attendee: Attendee }) } },
  }),
  cancelBooking: defineRoute({
    name: "cancelBooking",
    method: "post",
    path: "/bookings/{id}/cancel",
    summary: "Cancel a booking (attendees are told)",
    access: "user",
    params: BookingId,
    body: CancelRequest,
    bodyRequired: false,
    responses: { 200: { description: "Cancelled", schema: BookingAnswer } },
  }),
  createFeed: defineRoute({
    name: "createFeed",
    method: "post",
    path: "/feeds",
    summary: "Create a calendar feed of my bookings (its URL is shown once)",
    access: "user",
    body: FeedRequest,
    bodyRequired: false,
    responses: { 201: { description: "The feed and its secret URL", schema: Feed } },
  }),
  getFeed: defineRoute({
    name: "getFeed",
    method: "get",
    path: "/feeds/{file}",
    summary: "The iCalendar feed (the secret token in the path is the credential)",
    description: "Calendar apps cannot send a JWT, so the feed's token authorizes it; revoke the feed to end it.",
    access: "public",
    params: FeedFile,
    responses: { 200: { description: "An iCalendar (RFC 5545) feed", schema: z.string(), type: "text/calendar" } },
  }),
};

async function getAvailability(c: C, { query }: { query: z.output<typeof AvailabilityQuery> }): Promise<Response> {
  const from = new Date(query.from);
  const to = new Date(query.to);
  const slots = await asRequestCaller(c, async (tx) => {
    const input = await availabilityInput(tx, query.resource_id, from, to);
    if (!input) throw notFound(`Cannot show availability: no resource ${query.resource_id} you may see`);
    const [{ now }] = await tx`select private.now() as now` as unknown as [{ now: Date }];
    return freeSlots(input, from, to, query.duration_minutes, now);
  });
  return json({ resource_id: query.resource_id, duration_minutes: query.duration_minutes, slots });
}

async function createBooking(c: C, { body }: { body: z.output<typeof BookingRequest> }): Promise<Response> {
  const start = new Date(body.start);
  const end = new Date(body.end);
  const { booking, replay } = await asRequestCaller(c, async (tx) => {
    // A retry with the same key answers the first booking (200); the database decides what a
    // replay is (per user and organization), here and again under the resource's lock.
    const [earlier] = await tx`select ${tx.unsafe(BOOKING_COLUMNS)} from private.booking_replay(${body.resource_id}, ${
      body.idempotency_key ?? null
    }) as b where b.id is not null`;
    if (!earlier) {
      const input = await availabilityInput(tx, body.resource_id, start, end);
      if (!input) throw notFound(`Cannot book: no resource ${body.resource_id} you may see`);
      if (!withinAvailability(input, start, end)) {
        throw unprocessable("Cannot book: the time is outside the resource's availability");
      }
    }
    const [row] = await tx`select ${tx.unsafe(BOOKING_COLUMNS)}, replayed from (
      select (r.booking).*, r.replayed from private.book_resource(${body.resource_id}, ${start}, ${end},
        ${body.title ?? null}, ${body.notes ?? null}, ${body.hold}, ${body.idempotency_key ?? null},
        ${c.env.video()}, ${tx.json(body.attendees)}::jsonb) r) as b`;
    const { replayed, ...booking } = row!;
    return { booking, replay: replayed as boolean };
  });
  return json({ booking }, { status: replay ? 200 : 201 });
}

async function confirmBooking(c: C, { params }: { params: z.output<typeof BookingId> }): Promise<Response> {
  const [booking] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(BOOKING_COLUMNS)} from private.confirm_hold(${params.id}) as b`,
  );
  return json({ booking });
}

async function rescheduleBooking(
  c: C,
  { params, body }: { params: z.output<typeof BookingId>; body: z.output<typeof RescheduleRequest> },
): Promise<Response> {
  const start = new Date(body.start);
  const end = new Date(body.end);
  const [booking] = await asRequestCaller(c, async (tx) => {
    const [current] = await tx`select resource_id from public.bookings where id = ${params.id}`;
    if (current) {
      const input = await availabilityInput(tx, current.resource_id, start, end);
      if (input && !withinAvailability(input, start, end)) {
        throw unprocessable("Cannot reschedule: the new time is outside the resource's availability");
      }
    }
    return tx`select ${
      tx.unsafe(BOOKING_COLUMNS)
    } from private.reschedule_booking(${params.id}, ${start}, ${end}) as b`;
  });
  return json({ booking });
}

async function respondToBooking(
  c: C,
  { params, body }: { params: z.output<typeof BookingId>; body: z.output<typeof RespondRequest> },
): Promise<Response> {
  const [attendee] = await asRequestCaller(
    c,
    (tx) =>
      tx`select booking_id, user_id, email, name, response from private.respond_to_booking(${params.id}, ${body.response})`,
  );
  return json({ attendee });
}

async function cancelBooking(
  c: C,
  { params, body }: { params: z.output<typeof BookingId>; body: z.output<typeof CancelRequest> },
): Promise<Response> {
  const [booking] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(BOOKING_COLUMNS)} from private.cancel_booking(${params.id}, ${body.reason}) as b`,
  );
  return json({ booking });
}

async function createFeed(c: C, { body }: { body: z.output<typeof FeedRequest> }): Promise<Response> {
  const token = randomToken();
  const [feed] = await asRequestCaller(
    c,
    (tx) => tx`select id, label, created_at from private.create_calendar_feed(${token}, ${body.label ?? null})`,
  );
  const url = new URL(`/functions/v1/scheduling/feeds/${token}.ics`, c.env.publicUrl).toString();
  return json({ feed, url }, { status: 201 });
}

async function getFeed(c: C, { params }: { params: z.output<typeof FeedFile> }): Promise<Response> {
  const token = params.file.slice(0, -".ics".length);
  const rows = await asCaller(c.env.sql, serviceClaims(), (tx) =>
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

export const scheduling = new FunctionApp<SchedulingDeps>({
  name: "scheduling",
  description: "Availability, bookings (holds, reschedules, cancellations, attendees) and calendar feeds.",
  maxBodyBytes: 16 * 1024,
})
  .route(routes.getAvailability, getAvailability)
  .route(routes.createBooking, createBooking)
  .route(routes.confirmBooking, confirmBooking)
  .route(routes.rescheduleBooking, rescheduleBooking)
  .route(routes.respondToBooking, respondToBooking)
  .route(routes.cancelBooking, cancelBooking)
  .route(routes.createFeed, createFeed)
  .route(routes.getFeed, getFeed);
