/**
 * JWT verification with jose, as Supabase's gateway and PostgREST do it: HS256 tokens against
 * the project's legacy JWT secret, asymmetric tokens (ES256, RS256, EdDSA) against the JWKS that
 * Supabase Auth publishes. The claims decide the database role; nothing else is trusted.
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { z } from "zod";
import { unauthorized } from "./errors.ts";

export const API_ROLES = ["anon", "authenticated", "service_role"] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** The claims Groundwork relies on; unknown claims are kept. */
export const Claims = z.looseObject({
  role: z.enum(API_ROLES),
  sub: z.string().optional(),
  email: z.string().optional(),
  aal: z.enum(["aal1", "aal2", "aal3"]).optional(),
  session_id: z.string().optional(),
  exp: z.number(),
});
export type Claims = z.infer<typeof Claims> & JWTPayload;

export interface VerifierOptions {
  /** HS256 secret (Supabase's legacy JWT secret). */
  secret?: string;
  /** JWKS endpoint for asymmetric signing keys. */
  jwksUrl?: string;
  /** A key set to use instead of fetching jwksUrl (tests, or keys known at deploy time). */
  jwks?: JWTVerifyGetKey;
}

export type Verifier = (token: string) => Promise<Claims>;

const ASYMMETRIC = new Set(["ES256", "RS256", "EdDSA", "ES384", "RS384", "PS256"]);

export function createVerifier(options: VerifierOptions): Verifier {
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwks ??
    (options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000 }) : undefined);
  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthorized("Cannot verify the token: it is not a JWT");
    }
    let payload: JWTPayload;
    try {
      if (alg === "HS256" && secret) {
        ({ payload } = await jwtVerify(token, secret, { algorithms: ["HS256"] }));
      } else if (alg && ASYMMETRIC.has(alg) && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { algorithms: [...ASYMMETRIC] }));
      } else {
        throw unauthorized(`Cannot verify the token: algorithm ${alg ?? "(none)"} is not accepted`);
      }
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw unauthorized("Cannot verify the token: it has expired");
      if (error instanceof joseErrors.JOSEError) {
        throw unauthorized("Cannot verify the token: the signature or claims are invalid");
      }
      throw error;
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw unauthorized("Cannot verify the token: it has no valid role or expiry");
    if (claims.data.role === "authenticated" && !claims.data.sub) {
      throw unauthorized("Cannot verify the token: an authenticated token needs a subject");
    }
    return payload as Claims;
  };
}

/** The bearer token of a request, or null when there is none. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}

/** Verifies the request's bearer token; 401 when it is missing or invalid. */
export async function authenticate(request: Request, verify: Verifier): Promise<Claims> {
  const token = bearerToken(request);
  if (!token) throw unauthorized("Cannot authenticate: send an Authorization: Bearer <jwt> header");
  return verify(token);
}

/**
 * Claims for the few steps a function takes as the service role on a caller's behalf, after it
 * has checked another credential itself (an invitation token, a feed token, a webhook signature).
 */
export function serviceClaims(): Claims {
  return { role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 };
}

/** Verifier options from the standard Supabase variables. */
export function verifierFromEnv(
  env: { SUPABASE_URL: string; SUPABASE_JWT_SECRET?: string; SUPABASE_JWKS_URL?: string },
): VerifierOptions {
  return {
    secret: env.SUPABASE_JWT_SECRET,
    jwksUrl: env.SUPABASE_JWKS_URL ?? new URL("/auth/v1/.well-known/jwks.json", env.SUPABASE_URL).toString(),
  };
}
