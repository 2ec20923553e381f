/**
 * token: exchanges an organization API key for a short-lived access token of the key's member, in
 * the shape of OAuth 2's client-credentials grant. The token is signed with the project's JWT
 * secret like Supabase Auth's, so PostgREST, RLS and every function take it like any member's. A
 * revoked key's tokens stop at their next request (its member is suspended); no token outlives its
 * key's expiry, nor a retiring secret's overlap.
 */
import { type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { exchangeApiKey, keyClaims, parseApiKey, signAccessToken } from "../_shared/api-keys.ts";
import type { Sql } from "../_shared/db.ts";
import { callerRequest } from "../_shared/db.ts";
import { unauthorized } from "../_shared/errors.ts";
import { clientIp, json } from "../_shared/http.ts";
import { TokenRequest, TokenResponse } from "./schemas.ts";

export { TokenRequest, TokenResponse };

export interface TokenDeps {
  sql: Sql;
  /** The project's JWT secret (Supabase's legacy HS256 secret), which PostgREST verifies with. */
  jwtSecret: string;
  /** The iss claim: <SUPABASE_URL>/auth/v1, as Supabase Auth writes it. */
  issuer: string;
  /** Lifetime of a token in seconds (default 900). */
  ttlSeconds: number;
}
type C = Ctx<TokenDeps>;

export const routes = {
  exchangeToken: defineRoute({
    name: "exchangeToken",
    method: "post",
    path: "/",
    summary: "Exchange an API key for a short-lived access token (grant_type=client_credentials)",
    description: "Send the key as client_secret (form or JSON body) or with HTTP Basic (user: the prefix, password: " +
      "the key). The token acts as the key's member: use it as the Bearer of PostgREST and function requests.",
    access: "public",
    acceptsForm: true,
    body: TokenRequest,
    responses: { 200: { description: "The access token", schema: TokenResponse } },
  }),
};

/** The key from HTTP Basic (RFC 6749 §2.3.1) or the body's client_secret. */
function presentedKey(c: C, body: TokenRequest): string {
  const basic = c.req.header("authorization")?.match(/^Basic\s+([A-Za-z0-9+/=]+)$/i);
  let id = body.client_id;
  let secret = body.client_secret;
  if (basic) {
    let decoded = "";
    try {
      decoded = atob(basic[1]!);
    } catch {
      throw unauthorized("Cannot exchange the key: the Basic credentials are not base64");
    }
    const colon = decoded.indexOf(":");
    id = decodeURIComponent(decoded.slice(0, colon < 0 ? undefined : colon)) || id;
    secret = colon < 0 ? secret : decodeURIComponent(decoded.slice(colon + 1));
  }
  if (!secret) throw unauthorized("Cannot exchange the key: send it as client_secret or with HTTP Basic");
  const parsed = parseApiKey(secret);
  if (!parsed || (id !== undefined && id !== "" && id !== parsed.prefix && id !== secret)) {
    throw unauthorized("Cannot accept the API key: it is not a valid key");
  }
  return secret;
}

async function exchangeToken(c: C, { body }: { body: TokenRequest }): Promise<Response> {
  const identity = await exchangeApiKey(
    c.env.sql,
    presentedKey(c, body),
    clientIp(c.req.raw),
    callerRequest(c.req.raw, c.var.requestId),
  );
  const claims = keyClaims(identity, c.env.issuer, c.env.ttlSeconds);
  const now = Math.floor(Date.now() / 1000);
  return json(
    {
      access_token: await signAccessToken(claims, c.env.jwtSecret),
      token_type: "bearer",
      expires_in: Math.max(0, claims.exp - now),
      api_key_id: identity.api_key_id,
      org_id: identity.org_id,
    },
    { headers: { "cache-control": "no-store", pragma: "no-cache" } },
  );
}

export const token = new FunctionApp<TokenDeps>({
  name: "token",
  description: "OAuth 2 client credentials: an organization API key in, a short-lived access token of its member out.",
  maxBodyBytes: 4 * 1024,
}).route(routes.exchangeToken, exchangeToken);
