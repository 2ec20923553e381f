/**
 * iCalendar (RFC 5545) through ical-generator: booking invitations and calendar feeds.
 *
 * Times are handed over as luxon DateTimes in the resource's zone, so DTSTART;TZID=<zone> carries
 * that zone's wall-clock time whatever zone the process runs in (a plain Date with a timezone makes
 * ical-generator format the process's local time).
 */
import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import { DateTime } from "luxon";

export interface IcalBooking {
  id: string;
  title: string;
  location: string;
  start: string | Date;
  end: string | Date;
  timeZone: string;
  videoUrl: string | null;
  sequence: number;
  cancelled: boolean;
  attendee?: string;
}

const PRODID = { company: "Groundwork", product: "Scheduling", language: "EN" };

/** An instant as a luxon DateTime in the named IANA zone (refusing an unknown zone). */
export function inZone(instant: string | Date, timeZone: string): DateTime {
  const at = (instant instanceof Date ? DateTime.fromJSDate(instant) : DateTime.fromISO(instant)).setZone(timeZone);
  if (!at.isValid) {
    throw new Error(
      `Cannot write the calendar: ${at.invalidExplanation ?? at.invalidReason ?? "invalid time or zone"}`,
    );
  }
  return at;
}

function addEvent(calendar: ReturnType<typeof ical>, booking: IcalBooking): void {
  calendar.createEvent({
    id: `${booking.id}@groundwork`,
    sequence: booking.sequence,
    start: inZone(booking.start, booking.timeZone),
    end: inZone(booking.end, booking.timeZone),
    timezone: booking.timeZone,
    summary: booking.title,
    location: booking.videoUrl ?? booking.location,
    description: booking.videoUrl ? `${booking.location}\nJoin: ${booking.videoUrl}` : booking.location,
    url: booking.videoUrl ?? undefined,
    status: booking.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    attendees: booking.attendee ? [{ email: booking.attendee }] : [],
  });
}

/** A one-event invitation (METHOD:REQUEST, or CANCEL for a cancellation). */
export function bookingInvite(booking: IcalBooking): string {
  const calendar = ical({
    prodId: PRODID,
    method: booking.cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  addEvent(calendar, booking);
  return calendar.toString();
}

/** A subscribable feed of bookings. */
export function bookingFeed(name: string, bookings: IcalBooking[]): string {
  const calendar = ical({ prodId: PRODID, name, ttl: 15 * 60 });
  for (const booking of bookings) addEvent(calendar, booking);
  return calendar.toString();
}
