/** The token function's request and response shapes (OAuth 2 client credentials, RFC 6749 §4.4). */
import { z } from "zod";

export const TokenRequest = z.object({
  grant_type: z.literal("client_credentials", { error: "must be client_credentials" }),
  client_id: z.string().max(64).optional().describe("The key's prefix (optional; with HTTP Basic, the user name)"),
  client_secret: z.string().max(128).optional()
    .describe("The whole API key, gw_<environment>_<prefix>_<secret> (or send it with HTTP Basic)"),
  scope: z.string().max(256).optional().describe("Ignored: a key's permissions are its role's"),
}).strict();
export type TokenRequest = z.infer<typeof TokenRequest>;

export const TokenResponse = z.object({
  access_token: z.string().describe("A JWT of the key's member, signed like Supabase Auth's access tokens"),
  token_type: z.literal("bearer"),
  expires_in: z.number().int().describe("Seconds until the token expires"),
  api_key_id: z.string(),
  org_id: z.string(),
});
