/** The api-keys function's request and response shapes. */
import { z } from "zod";

const Name = z.string().trim().min(1).max(100);
const Network = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]).describe("An address or a network (CIDR)");
const AllowedIps = z.array(Network).max(50).describe("Accept the key only from these addresses or networks");
const RateLimit = z.number().int().min(1).max(100000).describe("Writing requests per minute for this key");
const Future = z.iso.datetime({ offset: true }).describe("When the key stops working");

export const Grant = z.object({
  permission: z.string().regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, "must be a permission key"),
  scope: z.enum(["own", "department", "org"]).default("org"),
}).strict();

export const CreateKeyRequest = z.object({
  org_id: z.uuid(),
  name: Name,
  permissions: z.array(Grant).min(1).max(100)
    .describe("What the key may do: each a permission you hold yourself, at most as far as you hold it"),
  expires_at: Future.nullable().optional(),
  allowed_ips: AllowedIps.default([]),
  rate_limit_per_minute: RateLimit.nullable().optional(),
}).strict();
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

export const ChangeKeyRequest = z.object({
  name: Name.optional(),
  allowed_ips: AllowedIps.optional(),
  rate_limit_per_minute: RateLimit.nullable().optional(),
  expires_at: Future.nullable().optional(),
}).strict().refine((v) => Object.keys(v).length > 0, "name at least one field to change");

export const RotateKeyRequest = z.object({
  overlap_seconds: z.number().int().min(0).max(7 * 24 * 3600).default(24 * 3600)
    .describe("How long the old secret keeps working (0 to 7 days; default one day)"),
}).strict();

export const ListQuery = z.object({
  org_id: z.uuid(),
  include_revoked: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
}).strict();
export const KeyId = z.object({ id: z.uuid() });

export const ApiKey = z.object({
  id: z.string(),
  org_id: z.string(),
  name: z.string(),
  environment: z.string(),
  prefix: z.string().describe("The public part of the key, to recognise it"),
  user_id: z.string().describe("The key's member in the organization"),
  role_id: z.string().describe("The key's own role"),
  permissions: z.array(z.object({ permission: z.string(), scope: z.string() })),
  created_by: z.string().nullable(),
  allowed_ips: z.array(z.string()),
  rate_limit_per_minute: z.number().nullable(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  last_used_ip: z.string().nullable(),
  use_count: z.number(),
  rotated_at: z.string().nullable(),
  previous_secret_expires_at: z.string().nullable().describe("Until when the secret before the last rotation works"),
  revoked_at: z.string().nullable(),
  created_at: z.string(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const KeyAnswer = z.object({ api_key: ApiKey });
export const KeyWithSecret = z.object({
  api_key: ApiKey,
  key: z.string().describe("The whole key, gw_<environment>_<prefix>_<secret>: shown this once, never stored"),
});
export const KeyList = z.object({ api_keys: z.array(ApiKey) });
