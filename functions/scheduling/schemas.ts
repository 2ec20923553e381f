/** The scheduling function's request and response shapes (zod; the API document is built from them). */
import { z } from "zod";

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

export const Slot = z.object({ start: Instant, end: Instant });
export const Availability = z.object({
  resource_id: z.uuid(),
  duration_minutes: z.number().int(),
  slots: z.array(Slot),
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

export const BookingId = z.object({ id: z.uuid() });
export const FeedFile = z.object({
  file: z.string().regex(/^[A-Za-z0-9_-]{22,128}\.ics$/, "must be the feed's <token>.ics"),
});

export const Booking = z.object({
  id: z.uuid(),
  org_id: z.uuid(),
  resource_id: z.uuid(),
  start: Instant,
  end: Instant,
  status: z.enum(["held", "confirmed", "cancelled", "completed", "no_show"]),
  hold_expires_at: Instant.nullable(),
  title: z.string().nullable(),
  notes: z.string().nullable(),
  booked_by: z.uuid().nullable(),
  idempotency_key: z.string().nullable(),
  video_url: z.url().nullable(),
  cancel_reason: z.string().nullable(),
  created_at: Instant,
});
export const BookingAnswer = z.object({ booking: Booking });

export const Attendee = z.object({
  booking_id: z.uuid(),
  user_id: z.uuid().nullable(),
  email: z.email(),
  name: z.string().nullable(),
  response: z.enum(["needs_action", "accepted", "declined"]),
});

export const Feed = z.object({
  feed: z.object({ id: z.uuid(), label: z.string().nullable(), created_at: Instant }),
  url: z.url().describe("The feed's address, with its secret token; shown once"),
});
