/**
 * The migration lint (scripts/lib/migration-lint.ts) passes the migrations added since its cutoff and
 * catches each rule it exists for.
 */
import { describe, expect, it } from "vitest";
import { lintMigration, lintNewMigrations } from "../../scripts/lib/migration-lint.ts";

const good = `create or replace function private.answer(p_x integer)
returns integer
language sql
set search_path = ''
as $$ select p_x $$;
comment on function private.answer(integer) is 'The answer.';
revoke all on function private.answer(integer) from public;
`;

describe("the migration lint", () => {
  it("finds nothing in the migrations added since its cutoff", () => {
    expect(lintNewMigrations()).toEqual([]);
  });

  it("accepts a function followed by its comment and its own grant", () => {
    expect(lintMigration("good.sql", good)).toEqual([]);
  });

  it("refuses a file over 400 lines and a function over 60", () => {
    const long =
      `create or replace function private.long()\nreturns void\nlanguage plpgsql\nas $$\nbegin\n${
        "  perform 1;\n".repeat(60)
      }end\n$$;\n` +
      "comment on function private.long() is 'x';\nrevoke all on function private.long() from public;\n";
    const problems = lintMigration("long.sql", long + "-- filler\n".repeat(400));
    expect(problems.some((p) => /lines \(at most 400/.test(p))).toBe(true);
    expect(problems.some((p) => /private\.long has \d+ lines \(at most 60/.test(p))).toBe(true);
  });

  it("refuses a function without its comment or grant, and one grant for several functions", () => {
    const bare = good.split("\n").slice(0, 5).join("\n") + "\n";
    expect(lintMigration("bare.sql", bare)).toEqual([
      "bare.sql:1: private.answer has no comment on function after it",
      "bare.sql:1: private.answer has no grant or revoke of its own after it",
    ]);
    expect(lintMigration("batched.sql", "grant execute on function private.a(), private.b() to authenticated;\n"))
      .toEqual(["batched.sql:1: one grant names several functions (grant each right after it is defined)"]);
  });

  it("refuses a name PostgreSQL would truncate", () => {
    expect(lintMigration("name.sql", `create policy "${"x".repeat(63)}" on public.t for select using (true);\n`)[0])
      .toMatch(/63 bytes \(PostgreSQL cuts at 63\)/);
  });

  it("refuses positional calls of the wide core functions, accepts named ones", () => {
    expect(lintMigration("positional.sql", "select private.notify(v_user, 'x.y', 'Title', '', null);\n")).toEqual([
      "positional.sql:1: call private.notify with named arguments (p_user_id => …)",
    ]);
    expect(
      lintMigration(
        "named.sql",
        "perform private.enqueue_email(p_template => 'invitation', p_recipient => lower(v_email), p_data => '{}'::jsonb);\n",
      ),
    ).toEqual([]);
  });
});
