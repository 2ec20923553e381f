/**
 * Acting as a user on the native stack, which has no Auth or PostgREST server: what Supabase Auth
 * writes when a user signs up or signs in (auth.users, auth.identities, a session, the access-token
 * hook's claims), and a transaction run exactly as PostgREST runs a request (role, claims, headers).
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { accessToken, LOCAL_JWT_SECRET } from "./tokens.ts";

export type Sql = postgres.Sql;

export interface AuthUser {
  id: string;
  email: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
}

export async function findUser(sql: Sql, email: string): Promise<AuthUser | null> {
  const [row] = await sql<AuthUser[]>`
    select id, email, coalesce(raw_app_meta_data, '{}') as app_metadata, coalesce(raw_user_meta_data, '{}') as user_metadata
    from auth.users where lower(email) = lower(${email}) and deleted_at is null`;
  return row ?? null;
}

/** A confirmed email user, written as Supabase Auth's sign-up (with confirmation done) writes it. */
export async function createUser(sql: Sql, email: string, name?: string): Promise<AuthUser> {
  const normalized = email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(normalized)) {
    throw new Error(`Cannot create user: ${email} is not an email address`);
  }
  if (await findUser(sql, normalized)) {
    throw new Error(`Cannot create user: ${normalized} already exists (use npm run token -- ${normalized})`);
  }
  const metadata = name ? { name, full_name: name } : {};
  return sql.begin(async (tx) => {
    const [user] = await tx<AuthUser[]>`
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, confirmation_sent_at,
                              raw_app_meta_data, raw_user_meta_data, created_at, updated_at, last_sign_in_at)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${normalized},
              '', now(), now(), '{"provider": "email", "providers": ["email"]}', ${
      tx.json(metadata)
    }, now(), now(), now())
      returning id, email, raw_app_meta_data as app_metadata, raw_user_meta_data as user_metadata`;
    const identity = await tx`select to_regclass('auth.identities') is not null as present`;
    if (identity[0]!.present) {
      await tx`insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
               values (${user!.id}, ${user!.id}, ${
        tx.json({ sub: user!.id, email: normalized, email_verified: true, ...metadata })
      }, 'email', now(), now(), now())`;
    }
    return user!;
  });
}

/** A signed access token for a fresh session, with the claims the access-token hook adds. */
export async function signIn(
  sql: Sql,
  user: AuthUser,
  aal: "aal1" | "aal2" = "aal1",
  expiresIn = 3600,
): Promise<{ token: string; sessionId: string }> {
  const sessionId = randomUUID();
  await sql`insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (${sessionId}, ${user.id}, now(), now(), ${aal}::auth.aal_level)`;
  const [hook] = await sql<{ claims: Record<string, unknown> }[]>`
    select private.custom_access_token_hook(${
    sql.json({ user_id: user.id, claims: {}, authentication_method: "password" })
  }) -> 'claims' as claims`;
  const token = await accessToken({
    id: user.id,
    email: user.email,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
  }, {
    aal,
    sessionId,
    expiresIn,
    claims: hook?.claims ?? {},
    secret: process.env.SUPABASE_JWT_SECRET ?? LOCAL_JWT_SECRET,
  });
  return { token, sessionId };
}

export type Actor = { kind: "user"; user: AuthUser; aal: "aal1" | "aal2" } | { kind: "anon" } | {
  kind: "service_role";
};

/** The claims PostgREST would take from the request's JWT. */
export function claimsOf(actor: Actor): Record<string, unknown> {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  if (actor.kind !== "user") return { role: actor.kind, exp };
  return {
    sub: actor.user.id,
    role: "authenticated",
    aud: "authenticated",
    email: actor.user.email,
    aal: actor.aal,
    session_id: randomUUID(),
    app_metadata: actor.user.app_metadata,
    user_metadata: actor.user.user_metadata,
    exp,
  };
}

/**
 * Runs SQL in one transaction the way PostgREST runs a request: `set local role`, the claims in
 * request.jwt.claims, the headers in request.headers. Returns the rows of the last statement.
 */
export async function runAs(sql: Sql, actor: Actor, statement: string): Promise<postgres.Row[]> {
  return sql.begin(async (tx) => {
    const claims = claimsOf(actor);
    await tx`select set_config('role', ${String(claims.role)}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('request.method', 'POST', true),
                    set_config('request.headers', ${JSON.stringify({ "x-request-id": `sql-${randomUUID()}` })}, true)`;
    const result = await tx.unsafe(statement);
    return [...result];
  });
}
