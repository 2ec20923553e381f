/**
 * Database helpers for vitest: the test database, users as Supabase Auth creates them, and SQL
 * run as a user exactly as PostgREST runs a request (the same asCaller the functions use).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll } from "vitest";
import type { Claims } from "../../functions/_shared/auth.ts";
import { asCaller, type Sql, type Tx } from "../../functions/_shared/db.ts";
import { accessToken, apiKey } from "../../scripts/lib/tokens.ts";
import { testEnv } from "./env.ts";

let shared: Sql | undefined;

/** A postgres.js client on the test database as `postgres` (not a superuser; bypasses RLS). Closed after the file. */
export function testDb(): Sql {
  if (!shared) {
    shared = postgres(testEnv.dbUrl, { max: 4, onnotice: () => {}, prepare: false });
    afterAll(async () => {
      await shared?.end({ timeout: 5 });
      shared = undefined;
    });
  }
  return shared;
}

export interface TestUser {
  id: string;
  email: string;
}

/** A confirmed user in auth.users, as Supabase Auth would insert it. */
export async function createUser(
  sql: Sql,
  options: { email?: string; confirmed?: boolean; metadata?: Record<string, unknown> } = {},
): Promise<TestUser> {
  const email = (options.email ?? `user-${randomUUID()}@example.test`).toLowerCase();
  const [row] = await sql<{ id: string }[]>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${email}, '',
            ${options.confirmed === false ? null : sql`now()`}, '{"provider":"email","providers":["email"]}',
            ${sql.json((options.metadata ?? {}) as postgres.JSONValue)}, now(), now())
    returning id`;
  return { id: row!.id, email };
}

/** The claims of a user's access token (aal1 unless told otherwise). */
export function userClaims(user: TestUser, aal: "aal1" | "aal2" = "aal1"): Claims {
  return {
    sub: user.id,
    role: "authenticated",
    aud: "authenticated",
    email: user.email,
    aal,
    session_id: randomUUID(),
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
}

export const anonClaims = (): Claims => ({ role: "anon", exp: Math.floor(Date.now() / 1000) + 3600 });
export const serviceClaims = (): Claims => ({ role: "service_role", exp: Math.floor(Date.now() / 1000) + 3600 });

/** Runs fn as the caller in one transaction, as PostgREST would. */
export function asUser<T>(sql: Sql, claims: Claims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return asCaller(sql, claims, fn);
}

/** A signed access token for a user, as Supabase Auth issues it. */
export function tokenFor(user: TestUser, options: { aal?: "aal1" | "aal2"; expiresIn?: number } = {}): Promise<string> {
  return accessToken({ id: user.id, email: user.email }, { ...options, secret: testEnv.jwtSecret });
}

export { apiKey };
