/**
 * The database: postgres.js on SUPABASE_DB_URL, and one transaction run as the caller exactly
 * as PostgREST runs a request (set local role + request.jwt.claims), so RLS decides.
 */
import postgres from "postgres";
import type { Claims } from "./auth.ts";
import { API_ROLES } from "./auth.ts";
import { forbidden } from "./errors.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export function connect(url: string, applicationName: string, max = 5): Sql {
  return postgres(url, {
    max,
    idle_timeout: 20,
    connect_timeout: 5,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
}

export interface CallerRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
}

/**
 * Runs fn in one transaction as the caller: the role from the claims (anon, authenticated or
 * service_role) and the claims themselves, as PostgREST sets them. Everything fn writes, outbox
 * rows included, commits or rolls back together.
 */
export function asCaller<T>(
  sql: Sql,
  claims: Claims,
  fn: (tx: Tx) => Promise<T>,
  request: CallerRequest = {},
): Promise<T> {
  if (!(API_ROLES as readonly string[]).includes(claims.role)) {
    throw forbidden(`Cannot act as role ${String(claims.role)}`);
  }
  return sql.begin(async (tx) => {
    await becomeCaller(tx, claims, request);
    return fn(tx);
  }) as Promise<T>;
}

/**
 * Within a transaction already open, acts as the caller from here on (set local role and claims,
 * as PostgREST does). A job uses it after claiming its work as the function's own database user.
 */
export async function becomeCaller(tx: Tx, claims: Claims, request: CallerRequest = {}): Promise<void> {
  if (!(API_ROLES as readonly string[]).includes(claims.role)) {
    throw forbidden(`Cannot act as role ${String(claims.role)}`);
  }
  await tx`
    select set_config('role', ${claims.role}, true),
           set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
           set_config('request.method', ${request.method ?? ""}, true),
           set_config('request.path', ${request.path ?? ""}, true),
           set_config('request.headers', ${JSON.stringify(request.headers ?? {})}, true)`;
}

/** The request facts PostgREST passes to the database, from a Request and its id. */
export function callerRequest(request: Request, requestId: string): CallerRequest {
  const url = new URL(request.url);
  const headers: Record<string, string> = { "x-request-id": requestId };
  const agent = request.headers.get("user-agent");
  if (agent) headers["user-agent"] = agent;
  return { method: request.method, path: url.pathname, headers };
}
