/**
 * Organization API keys: the key string, the exchange of a key for its member's identity (checked
 * by the database: secret, retiring secret, expiry, revocation, IP allow-list), and the access
 * token a key is exchanged for — HS256 with the project's JWT secret and the claims Supabase Auth
 * writes, so PostgREST, RLS and every function take it like a member's.
 */
import { SignJWT } from "jose";
import { type Claims, serviceClaims } from "./auth.ts";
import { asCaller, type CallerRequest, type Sql } from "./db.ts";
import { unauthorized } from "./errors.ts";

/** gw_<environment>_<prefix>_<secret>: prefix 8 and secret 32 base32 characters (160 random bits). */
export const API_KEY_PATTERN = /^gw_([a-z][a-z0-9]{0,15})_([a-z2-7]{8})_([a-z2-7]{32})$/;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export interface ParsedKey {
  environment: string;
  prefix: string;
  secret: string;
}

/** The parts of a key, or null when the text is not one. */
export function parseApiKey(text: string): ParsedKey | null {
  const match = API_KEY_PATTERN.exec(text.trim());
  return match ? { environment: match[1]!, prefix: match[2]!, secret: match[3]! } : null;
}

function randomBase32(length: number): string {
  // 256 is a multiple of 32, so each byte maps onto the alphabet without bias.
  return [...crypto.getRandomValues(new Uint8Array(length))].map((b) => BASE32[b % 32]).join("");
}

/** A new key: shown once, of which the database keeps only the prefix and the secret's hash. */
export function newApiKey(environment: string): ParsedKey & { key: string } {
  const prefix = randomBase32(8);
  const secret = randomBase32(32);
  return { environment, prefix, secret, key: `gw_${environment}_${prefix}_${secret}` };
}

/** A new secret for a key being rotated. */
export function rotatedSecret(key: { environment: string; prefix: string }): { secret: string; key: string } {
  const secret = randomBase32(32);
  return { secret, key: `gw_${key.environment}_${key.prefix}_${secret}` };
}

/** Who a valid key acts as, and until when a token of it may live. */
export interface KeyIdentity {
  api_key_id: string;
  org_id: string;
  user_id: string;
  environment: string;
  valid_until: Date | null;
}

/**
 * Checks a presented key in the database (as the service role, so the use is audited with the
 * request id) and counts the use. 401 for anything that is not a valid, live key.
 */
export async function exchangeApiKey(
  sql: Sql,
  presented: string,
  ip: string | null,
  request: CallerRequest,
): Promise<KeyIdentity> {
  const key = parseApiKey(presented);
  if (!key) throw unauthorized("Cannot accept the API key: it is not a valid key");
  const [row] = await asCaller(sql, serviceClaims(), (tx) =>
    tx<KeyIdentity[]>`
      select api_key_id, org_id, user_id, environment,
             case when valid_until = 'infinity' then null else valid_until end as valid_until
      from private.exchange_api_key(${key.prefix}, ${key.secret}, ${ip}::inet)`, request);
  if (!row) throw unauthorized("Cannot accept the API key: it is not a valid key");
  return row;
}

/** The claims of a key's member, as Supabase Auth would write them for a session of that user. */
export function keyClaims(identity: KeyIdentity, issuer: string, ttlSeconds: number, now = Date.now()): Claims {
  const iat = Math.floor(now / 1000);
  const until = identity.valid_until ? Math.floor(identity.valid_until.getTime() / 1000) : Infinity;
  return {
    iss: issuer,
    sub: identity.user_id,
    aud: "authenticated",
    role: "authenticated",
    iat,
    exp: Math.min(iat + ttlSeconds, until),
    // A key is created by a member who passed MFA where the organization demands it; its tokens
    // work in such organizations, and say how they were obtained.
    aal: "aal2",
    amr: [{ method: "api_key", timestamp: iat }],
    is_anonymous: false,
    app_metadata: { provider: "api_key", providers: ["api_key"] },
    api_key_id: identity.api_key_id,
    org_id: identity.org_id,
  };
}

/** Signs claims as Supabase Auth signs access tokens with the project's (legacy) JWT secret. */
export function signAccessToken(claims: Claims, secret: string): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(
    new TextEncoder().encode(secret),
  );
}

/** The API key a request carries: the x-api-key header, or a bearer that is a key rather than a JWT. */
export function presentedApiKey(request: Request): string | null {
  const header = request.headers.get("x-api-key");
  if (header) return header;
  const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(gw_\S+)$/i);
  return bearer?.[1] ?? null;
}
