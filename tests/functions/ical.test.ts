/**
 * Calendar times are wall-clock times of the resource's zone, whatever zone the process runs in:
 * every DTSTART/DTEND is compared with luxon's reading of the same instant, with the process in
 * UTC and in zones on both sides of it, for Berlin, New York and the days their clocks change.
 */
import { DateTime } from "luxon";
import { afterAll, describe, expect, it } from "vitest";
import { bookingFeed, bookingInvite } from "../../functions/_shared/ical.ts";

const originalTz = process.env.TZ;
afterAll(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const cases = [
  { zone: "Europe/Berlin", start: "2026-11-23T08:00:00Z", end: "2026-11-23T09:00:00Z", local: "20261123T090000" },
  { zone: "America/New_York", start: "2026-11-23T15:00:00Z", end: "2026-11-23T16:00:00Z", local: "20261123T100000" },
  // Berlin springs forward on 2026-03-29 at 02:00 → 03:00: 00:30Z is 01:30 CET, 01:30Z is 03:30 CEST.
  { zone: "Europe/Berlin", start: "2026-03-29T00:30:00Z", end: "2026-03-29T01:30:00Z", local: "20260329T013000" },
  // New York falls back on 2026-11-01 at 02:00 → 01:00: 05:30Z is 01:30 EDT, 06:30Z is 01:30 EST.
  { zone: "America/New_York", start: "2026-11-01T05:30:00Z", end: "2026-11-01T06:30:00Z", local: "20261101T013000" },
];

function lines(ics: string, name: string): string[] {
  return ics.split("\r\n").filter((l) => l.startsWith(`${name};`) || l.startsWith(`${name}:`));
}

describe.each(["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"])(
  "with the process in %s",
  (processZone) => {
    it.each(cases)("writes $zone times as luxon reads them ($start)", ({ zone, start, end, local }) => {
      process.env.TZ = processZone;
      // The process really is in that zone now (Node re-reads TZ when it changes).
      expect(
        new Date("2026-07-01T12:00:00Z").getTimezoneOffset() +
          DateTime.fromISO("2026-07-01T12:00:00Z", { zone: processZone }).offset,
      ).toBe(0);
      const expected = (iso: string) => DateTime.fromISO(iso).setZone(zone).toFormat("yyyyLLdd'T'HHmmss");
      const booking = {
        id: "b1",
        title: "Checkup",
        location: "Room 1",
        start,
        end,
        timeZone: zone,
        videoUrl: null,
        sequence: 1,
        cancelled: false,
      };
      for (const ics of [bookingInvite(booking), bookingFeed("Feed", [booking])]) {
        expect(lines(ics, "DTSTART")).toEqual([`DTSTART;TZID=${zone}:${expected(start)}`]);
        expect(lines(ics, "DTEND")).toEqual([`DTEND;TZID=${zone}:${expected(end)}`]);
      }
      expect(expected(start)).toBe(local);
    });
  },
);

it("refuses an unknown zone instead of writing a wrong time", () => {
  expect(() =>
    bookingInvite({
      id: "b",
      title: "t",
      location: "l",
      start: "2026-01-01T00:00:00Z",
      end: "2026-01-01T01:00:00Z",
      timeZone: "Mars/Olympus",
      videoUrl: null,
      sequence: 1,
      cancelled: false,
    })
  ).toThrow(/Cannot write the calendar/);
});
