/**
 * Local API keys and access tokens, signed with the local JWT secret exactly as Supabase Auth
 * signs them (HS256; the same secret and anon/service keys as `supabase start`).
 */
import { SignJWT } from "jose";
import { randomUUID } from "node:crypto";

/** Supabase's well-known local development secret. Never use it anywhere else. */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

const key = (secret: string) => new TextEncoder().encode(secret);

/** The claims of the anon or service-role API key — what PostgREST passes on as request.jwt.claims. */
export function apiKeyClaims(role: "anon" | "service_role"): Record<string, unknown> {
  return { iss: "supabase-demo", role, exp: 1983812996 };
}

/** The anon or service-role API key (a long-lived JWT, as Supabase's legacy keys are). */
export function apiKey(role: "anon" | "service_role", secret = LOCAL_JWT_SECRET): Promise<string> {
  return new SignJWT(apiKeyClaims(role)).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key(secret));
}

export interface TokenUser {
  id: string;
  email?: string | null;
  phone?: string | null;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  is_anonymous?: boolean;
}

export interface TokenOptions {
  aal?: "aal1" | "aal2";
  sessionId?: string;
  /** Lifetime in seconds (default 3600); negative for an already expired token. */
  expiresIn?: number;
  issuer?: string;
  secret?: string;
  /** Extra claims (e.g. from the custom access token hook). */
  claims?: Record<string, unknown>;
}

/**
 * The claims Supabase Auth puts in a user's access token — what PostgREST passes on to the database
 * as request.jwt.claims.
 */
export function accessClaims(user: TokenUser, options: TokenOptions = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const aal = options.aal ?? "aal1";
  const amr = aal === "aal2"
    ? [{ method: "totp", timestamp: now }, { method: "password", timestamp: now }]
    : [{ method: "password", timestamp: now }];
  return {
    iss: options.issuer ?? "http://127.0.0.1:54321/auth/v1",
    sub: user.id,
    aud: "authenticated",
    exp: now + (options.expiresIn ?? 3600),
    iat: now,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.app_metadata ?? { provider: "email", providers: ["email"] },
    user_metadata: user.user_metadata ?? {},
    role: "authenticated",
    aal,
    amr,
    session_id: options.sessionId ?? randomUUID(),
    is_anonymous: user.is_anonymous ?? false,
    ...options.claims,
  };
}

/** An access token for a user, with the claims Supabase Auth puts in one. */
export function accessToken(user: TokenUser, options: TokenOptions = {}): Promise<string> {
  return new SignJWT(accessClaims(user, options))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(key(options.secret ?? LOCAL_JWT_SECRET));
}
