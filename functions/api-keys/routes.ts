/**
 * api-keys: an organization's API keys (core.api_keys.manage). Creating or rotating answers the
 * whole key once; the database keeps only the prefix and a hash. Every change runs as the caller in
 * one transaction, and is audited.
 */
import { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { newApiKey, rotatedSecret } from "../_shared/api-keys.ts";
import type { Tx } from "../_shared/db.ts";
import { notFound } from "../_shared/errors.ts";
import { isoOrNull, json } from "../_shared/http.ts";
import type { Runtime } from "../_shared/runtime.ts";
import {
  ApiKey,
  ChangeKeyRequest,
  CreateKeyRequest,
  KeyAnswer,
  KeyId,
  KeyList,
  KeyWithSecret,
  ListQuery,
  RotateKeyRequest,
} from "./schemas.ts";

export { ApiKey, CreateKeyRequest };

export interface ApiKeysDeps extends Runtime {
  /** The environment named in new keys (gw_<environment>_...): local, test, live. */
  environment: string;
}
type C = Ctx<ApiKeysDeps>;
type Id = { params: z.output<typeof KeyId> };

const COLUMNS = `k.id, k.org_id, k.name, k.environment, k.prefix, k.user_id, k.role_id, k.created_by,
  k.allowed_ips::text[] as allowed_ips, k.rate_limit_per_minute, k.expires_at, k.last_used_at, host(k.last_used_ip) as last_used_ip,
  k.use_count, k.rotated_at, k.previous_secret_expires_at, k.revoked_at, k.created_at,
  coalesce((select json_agg(json_build_object('permission', rp.permission, 'scope', rp.scope) order by rp.permission)
            from public.role_permissions rp where rp.role_id = k.role_id), '[]') as permissions`;

function present(row: Record<string, unknown>): ApiKey {
  return ApiKey.parse({
    ...row,
    use_count: Number(row.use_count),
    expires_at: isoOrNull(row.expires_at),
    last_used_at: isoOrNull(row.last_used_at),
    rotated_at: isoOrNull(row.rotated_at),
    previous_secret_expires_at: isoOrNull(row.previous_secret_expires_at),
    revoked_at: isoOrNull(row.revoked_at),
    created_at: isoOrNull(row.created_at),
  });
}

/** The key as the caller sees it (RLS: core.api_keys.manage), after a workflow changed it. */
async function readKey(tx: Tx, id: string): Promise<ApiKey> {
  const [row] = await tx`select ${tx.unsafe(COLUMNS)} from public.api_keys k where k.id = ${id}`;
  if (!row) throw notFound(`Cannot find API key ${id} in your organizations`);
  return present(row);
}

export const routes = {
  createApiKey: defineRoute({
    name: "createApiKey",
    method: "post",
    path: "/",
    summary: "Create an API key limited to permissions you hold (the whole key is in this answer only)",
    access: "user",
    body: CreateKeyRequest,
    responses: { 201: { description: "Created", schema: KeyWithSecret } },
  }),
  listApiKeys: defineRoute({
    name: "listApiKeys",
    method: "get",
    path: "/",
    summary: "An organization's API keys, newest first (core.api_keys.manage)",
    access: "user",
    query: ListQuery,
    responses: { 200: { description: "The keys", schema: KeyList } },
  }),
  getApiKey: defineRoute({
    name: "getApiKey",
    method: "get",
    path: "/{id}",
    summary: "One API key: its permissions, limits and last use",
    access: "user",
    params: KeyId,
    responses: { 200: { description: "The key", schema: KeyAnswer } },
  }),
  changeApiKey: defineRoute({
    name: "changeApiKey",
    method: "patch",
    path: "/{id}",
    summary: "Rename a key, or change its IP allow-list, rate limit or expiry",
    access: "user",
    params: KeyId,
    body: ChangeKeyRequest,
    responses: { 200: { description: "Changed", schema: KeyAnswer } },
  }),
  rotateApiKey: defineRoute({
    name: "rotateApiKey",
    method: "post",
    path: "/{id}/rotate",
    summary: "Give a key a new secret; the old one works until the overlap ends",
    access: "user",
    params: KeyId,
    body: RotateKeyRequest,
    bodyRequired: false,
    responses: { 200: { description: "Rotated (the new whole key is in this answer only)", schema: KeyWithSecret } },
  }),
  revokeApiKey: defineRoute({
    name: "revokeApiKey",
    method: "post",
    path: "/{id}/revoke",
    summary: "Revoke a key: it and every token it was exchanged for stop at the next request",
    access: "user",
    params: KeyId,
    responses: { 200: { description: "Revoked", schema: KeyAnswer } },
  }),
};

async function createApiKey(c: C, { body }: { body: z.output<typeof CreateKeyRequest> }): Promise<Response> {
  const fresh = newApiKey(c.env.environment);
  const apiKey = await asRequestCaller(c, async (tx) => {
    const [row] = await tx<{ id: string }[]>`
      select id from private.create_api_key(
        p_org_id => ${body.org_id}, p_name => ${body.name}, p_environment => ${fresh.environment},
        p_prefix => ${fresh.prefix}, p_secret => ${fresh.secret}, p_grants => ${tx.json(body.permissions)}::jsonb,
        p_expires_at => ${body.expires_at ?? null}::timestamptz, p_allowed_ips => ${body.allowed_ips}::cidr[],
        p_rate_limit => ${body.rate_limit_per_minute ?? null}::integer)`;
    return readKey(tx, row!.id);
  });
  return json({ api_key: apiKey, key: fresh.key }, { status: 201 });
}

async function listApiKeys(c: C, { query }: { query: z.output<typeof ListQuery> }): Promise<Response> {
  const rows = await asRequestCaller(c, (tx) =>
    tx`select ${tx.unsafe(COLUMNS)} from public.api_keys k
       where k.org_id = ${query.org_id} and (${query.include_revoked} or k.revoked_at is null)
       order by k.created_at desc`);
  return json({ api_keys: rows.map(present) });
}

async function getApiKey(c: C, { params }: Id): Promise<Response> {
  return json({ api_key: await asRequestCaller(c, (tx) => readKey(tx, params.id)) });
}

async function changeApiKey(
  c: C,
  { params, body }: Id & { body: z.output<typeof ChangeKeyRequest> },
): Promise<Response> {
  const apiKey = await asRequestCaller(c, async (tx) => {
    await tx`select id from private.change_api_key(${params.id}, ${tx.json(body as never)}::jsonb)`;
    return readKey(tx, params.id);
  });
  return json({ api_key: apiKey });
}

async function rotateApiKey(
  c: C,
  { params, body }: Id & { body: z.output<typeof RotateKeyRequest> },
): Promise<Response> {
  const result = await asRequestCaller(c, async (tx) => {
    const before = await readKey(tx, params.id);
    const next = rotatedSecret(before);
    await tx`select id from private.rotate_api_key(${params.id}, ${next.secret}, make_interval(secs => ${body.overlap_seconds}))`;
    return { api_key: await readKey(tx, params.id), key: next.key };
  });
  return json(result);
}

async function revokeApiKey(c: C, { params }: Id): Promise<Response> {
  const apiKey = await asRequestCaller(c, async (tx) => {
    await tx`select id from private.revoke_api_key(${params.id})`;
    return readKey(tx, params.id);
  });
  return json({ api_key: apiKey });
}

export const apiKeys = new FunctionApp<ApiKeysDeps>({
  name: "api-keys",
  description: "Organization API keys: create (limited to permissions you hold), list, change, rotate, revoke.",
  maxBodyBytes: 16 * 1024,
})
  .route(routes.createApiKey, createApiKey)
  .route(routes.listApiKeys, listApiKeys)
  .route(routes.getApiKey, getApiKey)
  .route(routes.changeApiKey, changeApiKey)
  .route(routes.rotateApiKey, rotateApiKey)
  .route(routes.revokeApiKey, revokeApiKey);
