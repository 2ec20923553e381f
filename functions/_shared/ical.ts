/** iCalendar (RFC 5545) through ical-generator: booking invitations and calendar feeds. */
import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";

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

function addEvent(calendar: ReturnType<typeof ical>, booking: IcalBooking): void {
  calendar.createEvent({
    id: `${booking.id}@groundwork`,
    sequence: booking.sequence,
    start: new Date(booking.start),
    end: new Date(booking.end),
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
  const calendar = ical({ prodId: PRODID, method: booking.cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST });
  addEvent(calendar, booking);
  return calendar.toString();
}

/** A subscribable feed of bookings. */
export function bookingFeed(name: string, bookings: IcalBooking[]): string {
  const calendar = ical({ prodId: PRODID, name, ttl: 15 * 60 });
  for (const booking of bookings) addEvent(calendar, booking);
  return calendar.toString();
}
