/**
 * Availability across DST changes and time zones, overrides, buffers, notice and time off
 * (pure: the same module the scheduling function uses).
 */
import { describe, expect, it } from "vitest";
import {
  type AvailabilityInput,
  freeSlots,
  isTimeZone,
  withinAvailability,
} from "../../functions/scheduling/availability.ts";

const everyDay = (start: string, end: string) => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start, end }));

function resource(timeZone: string, overrides: Partial<AvailabilityInput> = {}): AvailabilityInput {
  return {
    timeZone,
    slotMinutes: 60,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 0,
    minNoticeMinutes: 0,
    maxHorizonDays: 730,
    rules: everyDay("09:00", "12:00"),
    overrides: [],
    timeOff: [],
    busy: [],
    ...overrides,
  };
}

const LONG_AGO = new Date("2026-01-01T00:00:00Z");
const firstSlotOn = (input: AvailabilityInput, day: string) =>
  freeSlots(input, new Date(`${day}T00:00:00Z`), new Date(`${day}T23:59:59Z`), 60, LONG_AGO)
    .filter((s) => s.start.startsWith(day))[0]?.start;

describe("DST", () => {
  it("keeps 09:00 local in New York across the March change (EST → EDT)", () => {
    const ny = resource("America/New_York");
    expect(firstSlotOn(ny, "2026-03-07")).toBe("2026-03-07T14:00:00.000Z");
    expect(firstSlotOn(ny, "2026-03-08")).toBe("2026-03-08T13:00:00.000Z");
    expect(firstSlotOn(ny, "2026-03-09")).toBe("2026-03-09T13:00:00.000Z");
  });

  it("keeps 09:00 local in New York across the November change (EDT → EST)", () => {
    const ny = resource("America/New_York");
    expect(firstSlotOn(ny, "2026-10-31")).toBe("2026-10-31T13:00:00.000Z");
    expect(firstSlotOn(ny, "2026-11-01")).toBe("2026-11-01T14:00:00.000Z");
  });

  it("keeps 09:00 local in Berlin across the March and October changes", () => {
    const berlin = resource("Europe/Berlin");
    expect(firstSlotOn(berlin, "2026-03-28")).toBe("2026-03-28T08:00:00.000Z");
    expect(firstSlotOn(berlin, "2026-03-29")).toBe("2026-03-29T07:00:00.000Z");
    expect(firstSlotOn(berlin, "2026-10-24")).toBe("2026-10-24T07:00:00.000Z");
    expect(firstSlotOn(berlin, "2026-10-25")).toBe("2026-10-25T08:00:00.000Z");
  });

  it("gives a window spanning the change its real length: 01:00-05:00 on Berlin's spring-forward night is 3 hours", () => {
    const night = resource("Europe/Berlin", { rules: everyDay("01:00", "05:00") });
    const slots = freeSlots(night, new Date("2026-03-28T22:00:00Z"), new Date("2026-03-29T06:00:00Z"), 60, LONG_AGO);
    expect(slots.map((s) => s.start)).toEqual([
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T02:00:00.000Z",
    ]);
  });

  it("and 01:00-05:00 on the fall-back night 5 hours", () => {
    const night = resource("Europe/Berlin", { rules: everyDay("01:00", "05:00") });
    const slots = freeSlots(night, new Date("2026-10-24T22:00:00Z"), new Date("2026-10-25T06:00:00Z"), 60, LONG_AGO);
    expect(slots).toHaveLength(5);
    expect(slots[0]!.start).toBe("2026-10-24T23:00:00.000Z");
  });

  it("lets 24:00 end a day, so a round-the-clock resource takes bookings across midnight", () => {
    const always = resource("Europe/Berlin", { rules: everyDay("00:00", "24:00") });
    expect(withinAvailability(always, new Date("2026-03-28T22:30:00Z"), new Date("2026-03-29T01:30:00Z"))).toBe(true);
  });

  it("knows IANA zones", () => {
    expect(isTimeZone("Asia/Kathmandu")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});

describe("rules, overrides, buffers, notice, time off", () => {
  const day = "2026-06-10"; // a Wednesday
  const range: [Date, Date] = [new Date(`${day}T00:00:00Z`), new Date(`${day}T23:59:59Z`)];

  it("offers slots on the slot grid inside each window (several windows per day)", () => {
    const utc = resource("UTC", {
      slotMinutes: 30,
      rules: [{ weekday: 3, start: "09:00", end: "10:30" }, { weekday: 3, start: "14:00", end: "15:00" }],
    });
    expect(freeSlots(utc, ...range, 60, LONG_AGO).map((s) => s.start.slice(11, 16))).toEqual([
      "09:00",
      "09:30",
      "14:00",
    ]);
  });

  it("lets a date override replace the weekly rules, or take the day off", () => {
    const utc = resource("UTC", { overrides: [{ date: day, start: "18:00", end: "19:00" }] });
    expect(freeSlots(utc, ...range, 60, LONG_AGO).map((s) => s.start.slice(11, 16))).toEqual(["18:00"]);
    const off = resource("UTC", { overrides: [{ date: day, start: null, end: null }] });
    expect(freeSlots(off, ...range, 60, LONG_AGO)).toEqual([]);
  });

  it("keeps the buffers clear around existing bookings", () => {
    const utc = resource("UTC", {
      slotMinutes: 30,
      bufferBeforeMinutes: 15,
      bufferAfterMinutes: 15,
      rules: [{ weekday: 3, start: "09:00", end: "13:00" }],
      busy: [{ start: new Date(`${day}T10:45:00Z`), end: new Date(`${day}T11:15:00Z`) }], // a 11:00-11:00 booking's blocked range
    });
    expect(freeSlots(utc, ...range, 30, LONG_AGO).map((s) => s.start.slice(11, 16))).toEqual([
      "09:00",
      "09:30",
      "10:00",
      "11:30",
      "12:00",
      "12:30",
    ]);
  });

  it("refuses slots inside the minimum notice and past the horizon", () => {
    const utc = resource("UTC", { minNoticeMinutes: 120, maxHorizonDays: 1 });
    const now = new Date(`${day}T08:30:00Z`);
    expect(freeSlots(utc, ...range, 60, now).map((s) => s.start.slice(11, 16))).toEqual(["11:00"]);
    expect(freeSlots(utc, new Date("2026-06-20T00:00:00Z"), new Date("2026-06-20T23:00:00Z"), 60, now)).toEqual([]);
  });

  it("subtracts time off, and a booking must fit one window outside it", () => {
    const utc = resource("UTC", {
      timeOff: [{ start: new Date(`${day}T10:00:00Z`), end: new Date(`${day}T11:00:00Z`) }],
    });
    expect(freeSlots(utc, ...range, 60, LONG_AGO).map((s) => s.start.slice(11, 16))).toEqual(["09:00", "11:00"]);
    expect(withinAvailability(utc, new Date(`${day}T09:00:00Z`), new Date(`${day}T10:00:00Z`))).toBe(true);
    expect(withinAvailability(utc, new Date(`${day}T09:30:00Z`), new Date(`${day}T10:30:00Z`))).toBe(false);
    expect(withinAvailability(utc, new Date(`${day}T11:30:00Z`), new Date(`${day}T12:30:00Z`))).toBe(false);
  });
});
