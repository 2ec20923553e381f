import { describe, expect, it } from "vitest";
import postgres from "postgres";
import { errorBody, fromPostgresError, HttpError, toHttpError } from "../../functions/_shared/errors.ts";
import { testDb } from "../helpers/db.ts";

/** The error postgres.js throws for a statement, from the real database. */
async function pgError(sql: postgres.Sql, statement: string): Promise<unknown> {
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(
        "create temp table t (id int primary key, n int check (n > 0), r int references t (id), w tsrange, " +
          "exclude using gist (w with &&)) on commit drop",
      );
      await tx.unsafe("insert into t (id, n, w) values (1, 1, '[2026-01-01,2026-01-02)')");
      await tx.unsafe(statement);
    });
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${statement} to fail`);
}

describe("Postgres errors map to statuses by SQLSTATE", () => {
  const sql = testDb();
  it.each([
    ["23505 unique violation", "insert into t (id, n) values (1, 1)", 409, "conflict"],
    [
      "23P01 exclusion violation",
      "insert into t (id, n, w) values (2, 1, '[2026-01-01 12:00,2026-01-03)')",
      409,
      "conflict",
    ],
    ["23514 check violation", "insert into t (id, n) values (2, -1)", 422, "validation_failed"],
    ["23502 not-null violation", "insert into t (id, n) values (null, 1)", 422, "validation_failed"],
    ["22012 division by zero", "select 1/0", 422, "validation_failed"],
    ["22P02 invalid text", "select 'abc'::int", 422, "validation_failed"],
    ["23503 foreign key violation", "insert into t (id, n, r) values (2, 1, 99)", 422, "invalid_reference"],
    ["42501 insufficient privilege", "set local role anon; select * from auth.users", 403, "forbidden"],
    [
      "P0001 raised exception",
      "do $$ begin raise exception 'Cannot approve: already approved'; end $$",
      400,
      "bad_request",
    ],
    [
      "P0002 no data found",
      "do $$ begin raise sqlstate 'P0002' using message = 'Cannot find the invitation'; end $$",
      404,
      "not_found",
    ],
  ])("%s → %i", async (_label, statement, status, code) => {
    const error = await pgError(sql, statement);
    const mapped = fromPostgresError(error);
    expect(mapped).toBeInstanceOf(HttpError);
    expect(mapped?.status).toBe(status);
    expect(mapped?.code).toBe(code);
    expect(errorBody(mapped!).error.details).toMatchObject({ sqlstate: (error as { code: string }).code });
  });

  it("keeps Postgres' own message, which our SQL writes for the caller", async () => {
    const mapped = toHttpError(
      await pgError(sql, "do $$ begin raise exception 'Cannot approve: already approved'; end $$"),
    );
    expect(errorBody(mapped)).toEqual({
      error: { code: "bad_request", message: "Cannot approve: already approved", details: { sqlstate: "P0001" } },
    });
  });

  it("answers 503 when the database cannot be reached", async () => {
    const down = postgres("postgresql://postgres@127.0.0.1:1/postgres", { connect_timeout: 2, max: 1 });
    const error = await down`select 1`.catch((e: unknown) => e);
    await down.end();
    expect(toHttpError(error)).toMatchObject({ status: 503, code: "database_unavailable" });
  });

  it("explains a NUL byte PostgreSQL refuses instead of passing on its raw text", async () => {
    const sql = testDb();
    const error = fromPostgresError(await pgError(sql, "select convert_from('\\x6100'::bytea, 'UTF8')"));
    expect(error).toMatchObject({
      status: 422,
      code: "validation_failed",
      message: "Cannot store the text: it contains the NUL character (\\u0000)",
    });
    const inJson = fromPostgresError(await pgError(sql, 'select \'{"a": "\\u0000"}\'::jsonb'));
    expect(inJson).toMatchObject({
      status: 422,
      message: "Cannot store the text: it contains the NUL character (\\u0000)",
    });
  });

  it("hides anything unexpected behind a 500 with a generic message", () => {
    const error = toHttpError(new TypeError("secret internal detail at /srv/x.ts:12"));
    expect(error.status).toBe(500);
    expect(JSON.stringify(errorBody(error))).not.toMatch(/secret|srv/);
  });

  it("keeps an HttpError as it is, headers included", () => {
    const error = new HttpError(429, "rate_limited", "Slow down", { retry_after: 30 }, { "retry-after": "30" });
    expect(toHttpError(error)).toBe(error);
  });

  it("turns a rate limit's details into Retry-After and the RateLimit-* fields", () => {
    const error = fromPostgresError(
      Object.assign(new Error("Cannot send more invitations now: the limit of 30 per 01:00:00 is reached"), {
        name: "PostgresError",
        code: "GW429",
        detail: JSON.stringify({ retry_after: 1234, limit: 30, remaining: 0, window_seconds: 3600 }),
      }),
    )!;
    expect(error.status).toBe(429);
    expect(error.code).toBe("rate_limited");
    expect(error.headers).toEqual({
      "retry-after": "1234",
      "ratelimit-reset": "1234",
      "ratelimit-limit": "30",
      "ratelimit-remaining": "0",
      "ratelimit-policy": "30;w=3600",
    });
  });
});
