import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseEnv, EnvError, readEnv } from "../../functions/_shared/env.ts";

const good = {
  SUPABASE_URL: "http://127.0.0.1:54321",
  SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
  SUPABASE_JWT_SECRET: "super-secret-jwt-token-with-at-least-32-characters-long",
};

describe("readEnv", () => {
  it("accepts a complete environment and returns the typed values", () => {
    const env = readEnv(BaseEnv, good, "health");
    expect(env.SUPABASE_URL).toBe(good.SUPABASE_URL);
    expect(env.SUPABASE_JWKS_URL).toBeUndefined();
  });

  it("names a missing variable and the function it stops", () => {
    const { SUPABASE_DB_URL: _, ...missing } = good;
    expect(() => readEnv(BaseEnv, missing, "function health")).toThrowError(
      new EnvError("Cannot start function health: SUPABASE_DB_URL is not set."),
    );
  });

  it("treats an empty variable as missing", () => {
    expect(() => readEnv(BaseEnv, { ...good, SUPABASE_URL: "" })).toThrow(/SUPABASE_URL is not set/);
  });

  it("names every bad variable with what is wrong", () => {
    const error = (() => {
      try {
        readEnv(BaseEnv, {
          ...good,
          SUPABASE_URL: "not a url",
          SUPABASE_DB_URL: "mysql://x",
          SUPABASE_JWT_SECRET: "short",
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(EnvError);
    expect(error?.message).toMatch(/SUPABASE_URL is invalid/);
    expect(error?.message).toMatch(/SUPABASE_DB_URL is invalid \(must be a postgres:\/\/ connection URL\)/);
    expect(error?.message).toMatch(/SUPABASE_JWT_SECRET is invalid/);
  });

  it("extends with a function's own variables", () => {
    const Env = BaseEnv.extend({ DISPATCH_SECRET: z.string().min(16) });
    expect(() => readEnv(Env, good, "email-dispatch")).toThrow(
      "Cannot start email-dispatch: DISPATCH_SECRET is not set.",
    );
  });
});
