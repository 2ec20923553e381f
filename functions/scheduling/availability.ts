/**
 * Free slots of a resource, computed in its IANA time zone with luxon, so DST changes and zones
 * are handled by the library, never by offset arithmetic. Weekly rules give each local date its
 * windows unless the date has overrides; time off and busy ranges (existing bookings, buffers
 * included) are subtracted; slots start on the resource's slot grid within each window.
 */
import { DateTime, IANAZone } from "luxon";

export interface Window {
  start: string; // local time, HH:MM[:SS]
  end: string;
}

export interface AvailabilityInput {
  timeZone: string;
  slotMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  minNoticeMinutes: number;
  maxHorizonDays: number;
  rules: (Window & { weekday: number })[];
  overrides: { date: string; start: string | null; end: string | null }[];
  timeOff: { start: Date; end: Date }[];
  busy: { start: Date; end: Date }[];
}

export interface Slot {
  start: string;
  end: string;
}

export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const overlaps = (a: { start: number; end: number }, b: { start: Date; end: Date }) =>
  a.start < b.end.getTime() && b.start.getTime() < a.end;

/** The local windows of each date in [from, to], as absolute [start, end) in milliseconds. */
export function windows(input: AvailabilityInput, from: Date, to: Date): { start: number; end: number }[] {
  const zone = input.timeZone;
  const result: { start: number; end: number }[] = [];
  let day = DateTime.fromJSDate(from, { zone }).startOf("day").minus({ days: 1 });
  const last = DateTime.fromJSDate(to, { zone }).startOf("day").plus({ days: 1 });
  while (day <= last) {
    const date = day.toISODate()!;
    const overrides = input.overrides.filter((o) => o.date === date);
    const list = overrides.length > 0
      ? overrides.filter((o) => o.start && o.end).map((o) => ({ start: o.start!, end: o.end! }))
      : input.rules.filter((r) => r.weekday === day.weekday);
    for (const w of list) {
      const start = DateTime.fromISO(`${date}T${w.start}`, { zone });
      // 24:00 ends the day: the next day's midnight, in the zone.
      const end = w.end.startsWith("24:")
        ? day.plus({ days: 1 }).startOf("day")
        : DateTime.fromISO(`${date}T${w.end}`, { zone });
      if (start.isValid && end.isValid && end > start) result.push({ start: start.toMillis(), end: end.toMillis() });
    }
    day = day.plus({ days: 1 });
  }
  // Windows that touch or overlap are one: a booking may run across midnight between them.
  result.sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const w of result) {
    const last = merged.at(-1);
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

/** Free slots of `durationMinutes` starting in [from, to], given the time now. */
export function freeSlots(input: AvailabilityInput, from: Date, to: Date, durationMinutes: number, now: Date): Slot[] {
  const earliest = Math.max(from.getTime(), now.getTime() + input.minNoticeMinutes * 60_000);
  const latest = Math.min(to.getTime(), now.getTime() + input.maxHorizonDays * 86_400_000);
  const duration = durationMinutes * 60_000;
  const step = input.slotMinutes * 60_000;
  const slots = new Map<number, Slot>();
  for (const w of windows(input, from, to)) {
    for (let start = w.start; start + duration <= w.end; start += step) {
      if (start < earliest || start > latest) continue;
      const blocked = {
        start: start - input.bufferBeforeMinutes * 60_000,
        end: start + duration + input.bufferAfterMinutes * 60_000,
      };
      if (
        input.busy.some((b) => overlaps(blocked, b)) ||
        input.timeOff.some((t) => overlaps({ start, end: start + duration }, t))
      ) continue;
      slots.set(start, { start: new Date(start).toISOString(), end: new Date(start + duration).toISOString() });
    }
  }
  return [...slots.entries()].sort(([a], [b]) => a - b).map(([, slot]) => slot);
}

/** Whether [start, end) lies inside one availability window and outside time off. */
export function withinAvailability(input: AvailabilityInput, start: Date, end: Date): boolean {
  const s = start.getTime();
  const e = end.getTime();
  return windows(input, start, end).some((w) => w.start <= s && e <= w.end) &&
    !input.timeOff.some((t) => overlaps({ start: s, end: e }, t));
}
