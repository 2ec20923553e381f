import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "../../functions/_shared/csv.ts";

describe("CSV cells (the one CSV writer)", () => {
  it.each(["=1+1", "+SUM(A1)", "-1", "@cmd", "\tx", "\rx"])("neutralises %j with a leading quote", (value) => {
    expect(csvCell(value)).toBe(`'${value}`);
  });
  it("leaves ordinary text, numbers, booleans and nulls alone, and writes dates in ISO 8601", () => {
    expect(csvCell("Hello = world")).toBe("Hello = world");
    expect(csvCell(-3)).toBe(-3);
    expect(csvCell(true)).toBe(true);
    expect(csvCell(null)).toBeNull();
    expect(csvCell(new Date("2026-01-02T03:04:05Z"))).toBe("2026-01-02T03:04:05.000Z");
    expect(csvCell({ a: "=x" })).toBe('{"a":"=x"}');
  });
  it("quotes what CSV needs quoted, so a parser reads the cells back", () => {
    const text = toCsv([{ a: 'say "hi", then\nleave', b: "=2" }], ["a", "b"]);
    expect(parse(text, { columns: true })).toEqual([{ a: 'say "hi", then\nleave', b: "'=2" }]);
  });
});
