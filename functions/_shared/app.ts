/**
 * The route table every function is built from (Hono for routing, @hono/zod-openapi for the API
 * document). A function declares each route once — method, path, who may call it, its zod schemas
 * and its answers — and mounts one named handler on it; `npm run openapi` builds openapi.json from
 * the same declarations. The shared pipeline runs around every route as middleware: request id,
 * CORS, the body limit, JSON parsing, validation, the one error shape, 404 listing the routes,
 * 405 with Allow, and one structured log line per request.
 */
import { OpenAPIHono, type RouteConfig, z as openapi } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { exchangeApiKey, keyClaims, presentedApiKey } from "./api-keys.ts";
import { authenticate, bearerToken, type Claims, type Verifier } from "./auth.ts";
import { safeEqual } from "./crypto.ts";
import { asCaller, callerRequest, type Sql, type Tx } from "./db.ts";
import { badRequest, errorBody, forbidden, HttpError, limitHeaders, toHttpError, unauthorized } from "./errors.ts";
import {
  clientIp,
  CORS_HEADERS,
  DEFAULT_MAX_BODY_BYTES,
  json,
  nulPath,
  readText,
  requestIdOf,
  validate,
} from "./http.ts";
import { createLogger, describeError, type Logger } from "./log.ts";
import { flushMetrics, MetricsBuffer } from "./metrics.ts";

/** Who may call a route: a signed-in user, any valid JWT (the anon key included), or nobody checked here. */
export type Access = "user" | "jwt" | "public";

export interface AppVariables {
  requestId: string;
  log: Logger;
  /** The verified claims, on routes whose access is "user" or "jwt". */
  claims: Claims;
  /** The raw body, read once under the function's limit. */
  bodyText: string;
  /** The route that matched, as declared ("/bookings/{id}/confirm"), for metrics. */
  route: string;
  /** The request limiter's tightest bucket for this request, for the RateLimit-* headers. */
  limit: Record<string, unknown>;
}

/** What a route handler may use from its function's dependencies (passed to `fetch` as bindings). */
export interface BaseDeps {
  sql?: Sql;
  verify?: Verifier;
}

export type AppEnv<D extends object> = { Bindings: D; Variables: AppVariables };
export type Ctx<D extends object> = Context<AppEnv<D>>;

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Media type of the schema (default application/json). */
  type?: string;
}

export interface RouteSpec<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  P extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** The operation id in openapi.json, and the name of the handler. */
  name: string;
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Relative to the function, with OpenAPI placeholders: "/bookings/{id}/confirm". */
  path: string;
  summary: string;
  description?: string;
  access: Access;
  /** Other ways in, checked by middleware (a signature, the service role or a shared secret). */
  security?: SecurityName[];
  body?: B;
  /** An optional body may be absent; it is then validated as {} (defaults apply). Default true. */
  bodyRequired?: boolean;
  /**
   * A body the handler reads itself (a CSV file, say), not JSON: its media type and what it is, for
   * openapi.json. The handler reads it with readBytes under the function's limit.
   */
  rawBody?: { type: string; description: string };
  /** Also accept the body as application/x-www-form-urlencoded (OAuth 2's token requests). */
  acceptsForm?: boolean;
  /**
   * Whether the request limiter counts this route: by default every route but GET (they write or
   * send). Machine routes called on a timer (the dispatcher, the purge) and signed webhooks say false.
   */
  limited?: boolean;
  query?: Q;
  params?: P;
  /** Runs after access is checked and before the body is parsed (signatures, service checks). */
  middleware?: MiddlewareHandler[];
  responses: Record<number, ResponseSpec>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a handler receives: the validated path parameters, query and body of its route. */
export type RouteInput<S extends RouteSpec> = S extends RouteSpec<infer B, infer Q, infer P>
  ? { body: Out<B>; query: Out<Q>; params: Out<P> }
  : never;
export type RouteHandler<D extends object, S extends RouteSpec> = (
  c: Ctx<D>,
  input: RouteInput<S>,
) => Promise<Response>;

/** Declares a route (kept as written, typed for its handler). */
export function defineRoute<
  B extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
>(
  spec: RouteSpec<B, Q, P>,
): RouteSpec<B, Q, P> {
  return spec;
}

export type SecurityName = "bearer" | "dispatchSecret" | "svixSignature";

/** The one error shape, as an OpenAPI component. */
export const ErrorResponse = openapi.object({
  error: openapi.object({
    code: openapi.string().describe("A stable, machine-readable code: validation_failed, not_found, conflict, ..."),
    message: openapi.string().describe("What went wrong, in a sentence for people"),
    details: openapi.unknown().optional().describe("Where and what: zod issues, the clashing row, the allowed routes"),
  }),
}).openapi("Error");

const ERROR_STATUSES: Record<number, string> = {
  400: "The body is not valid JSON or UTF-8",
  401: "No valid credential",
  403: "The caller may not do this (RLS or a permission decided)",
  404: "No such path, or no such row the caller may see",
  405: "The path exists under another method (Allow names it)",
  413: "The body is larger than the function accepts",
  415: "The body is not application/json",
  422: "The input does not match the schema (details list each problem)",
  429: "Too many requests (Retry-After says when to try again)",
  500: "Something failed on our side (the request id finds it in the logs)",
  503: "The database or a dependency is unavailable",
};

export interface MountedRoute {
  method: string;
  path: string;
  pattern: RegExp;
}

/** "/bookings/{id}/confirm" → Hono's "/bookings/:id/confirm". */
const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");
const pathPattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{\w+\\?\}|\{\w+\}/g, "[^/]+")}/?$`);

/**
 * The part of a URL path below the function: /functions/v1/<name>/rest locally and /<name>/rest
 * hosted (Supabase's edge runtime keeps the function's name) both give /rest, whatever name the
 * function was deployed under; no trailing slash.
 */
export function functionPath(pathname: string): string {
  const below = pathname.replace(/^\/functions\/v1(?=\/)/, "").replace(/^\/[^/]*/, "");
  return below.replace(/(.)\/+$/, "$1") || "/";
}

export interface FunctionSpec {
  /** The function's name: its folder, its URL segment, its OpenAPI tag. */
  name: string;
  description: string;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

/** A function: its routes (the table), the Hono app that serves them and the OpenAPI registry. */
export class FunctionApp<D extends BaseDeps> {
  readonly app: OpenAPIHono<AppEnv<D>>;
  readonly routes: MountedRoute[] = [];
  /** The route declarations, in the order they were mounted (docs and openapi.json read them). */
  readonly specs: RouteSpec[] = [];
  /** Requests served by this process, per route and status, until they are reported. */
  readonly metrics = new MetricsBuffer();

  constructor(readonly spec: FunctionSpec) {
    this.app = new OpenAPIHono<AppEnv<D>>({
      getPath: (request) => functionPath(new URL(request.url).pathname),
    });
    this.app.use("*", this.pipeline());
    this.app.onError((error, c) => this.fail(c as unknown as Ctx<D>, error));
    this.app.notFound((c) =>
      this.fail(c as unknown as Ctx<D>, this.unmatched(c.req.method, new URL(c.req.url).pathname))
    );
  }

  /** Mounts a handler on a declared route. */
  route<S extends RouteSpec>(spec: S, handler: RouteHandler<D, S>): this {
    const limit = this.spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const named: MiddlewareHandler<AppEnv<D>> = async (c, next) => {
      c.set("route", spec.path);
      await next();
    };
    const chain: MiddlewareHandler<AppEnv<D>>[] = [named, accessCheck(spec.access), ...(spec.middleware ?? [])];
    this.app.on([spec.method.toUpperCase()], [honoPath(spec.path)], ...chain, async (hc) => {
      const c = hc as unknown as Ctx<D>;
      const input = {
        params: spec.params ? validate(spec.params, c.req.param(), "path") : undefined,
        query: spec.query ? readQueryOf(c, spec.query) : undefined,
        body: spec.body
          ? await readBody(c, spec.body, spec.bodyRequired !== false, limit, spec.acceptsForm)
          : undefined,
      } as RouteInput<S>;
      if (spec.limited ?? spec.method !== "get") {
        await countRequest(c, `${this.spec.name} ${spec.method.toUpperCase()} ${spec.path}`, input);
      }
      return handler(c, input);
    });
    this.specs.push(spec as RouteSpec);
    this.routes.push({ method: spec.method.toUpperCase(), path: spec.path, pattern: pathPattern(spec.path) });
    this.app.openAPIRegistry.registerPath(openApiRoute(spec, this.spec.name));
    return this;
  }

  /**
   * The function as a fetch handler over its dependencies. With `reportMetrics` (index.ts asks for
   * it), the process adds its request metrics to the database every few seconds.
   */
  handler(deps: D, options: { reportMetrics?: boolean } = {}): (request: Request) => Promise<Response> {
    if (options.reportMetrics && deps.sql) flushMetrics(this.metrics, deps.sql);
    return (request) => Promise.resolve(this.app.fetch(request, deps));
  }

  /** "POST /scheduling/bookings", ... for a 404's details and the docs. */
  listRoutes(): string[] {
    return this.routes.map((r) => `${r.method} /${this.spec.name}${r.path === "/" ? "" : r.path}`);
  }

  private unmatched(method: string, pathname: string): HttpError {
    const path = functionPath(pathname);
    const allowed = [...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      const allow = [...allowed, "OPTIONS"].join(", ");
      return new HttpError(405, "method_not_allowed", `Cannot ${method} ${pathname}: use ${allowed.join(" or ")}`, {
        allow: [...allowed, "OPTIONS"],
      }, { allow });
    }
    return new HttpError(404, "not_found", `Nothing is served at ${pathname}`, { routes: this.listRoutes() });
  }

  private fail(c: Ctx<D>, thrown: unknown): Response {
    // Hono's own HTTPException (a malformed request it refused) keeps its status, in our shape.
    const error = thrown instanceof HTTPException
      ? new HttpError(thrown.status, thrown.status === 400 ? "bad_request" : "error", thrown.message)
      : toHttpError(thrown);
    if (error.status >= 500) c.var.log?.error("request failed", { status: error.status, ...describeError(thrown) });
    return json(errorBody(error), { status: error.status, headers: error.headers });
  }

  /** Request id, CORS, the preflight and the request's log line, around everything else. */
  private pipeline(): MiddlewareHandler<AppEnv<D>> {
    return async (c, next) => {
      const started = performance.now();
      const requestId = requestIdOf(c.req.raw);
      const log = createLogger({ function: this.spec.name, request_id: requestId });
      c.set("requestId", requestId);
      c.set("log", log);
      if (c.req.method === "OPTIONS") c.res = new Response(null, { status: 204 });
      else await next();
      const headers = new Headers(c.res.headers);
      headers.set("x-request-id", requestId);
      const bucket = c.get("limit");
      if (bucket && !headers.has("ratelimit-limit")) {
        for (const [name, value] of Object.entries(limitHeaders({ ...bucket, retry_after: undefined }))) {
          headers.set(name, value);
        }
        if (typeof bucket.retry_after === "number") headers.set("ratelimit-reset", String(bucket.retry_after));
      }
      for (const [name, value] of Object.entries(CORS_HEADERS)) if (!headers.has(name)) headers.set(name, value);
      const { status, statusText, body } = c.res;
      c.res = new Response(body, { status, statusText, headers });
      const elapsed = performance.now() - started;
      if (c.req.method !== "OPTIONS") {
        this.metrics.record(this.spec.name, c.get("route") ?? "(no route)", status, elapsed / 1000);
      }
      log.info("request", {
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status,
        duration_ms: Math.round(elapsed * 10) / 10,
      });
    };
  }
}

/** The OpenAPI operation for a route spec (the same declaration the router uses). */
function openApiRoute(spec: RouteSpec, tag: string): RouteConfig {
  const responses: RouteConfig["responses"] = {};
  for (const [status, answer] of Object.entries(spec.responses)) {
    responses[status] = answer.schema
      ? { description: answer.description, content: { [answer.type ?? "application/json"]: { schema: answer.schema } } }
      : { description: answer.description };
  }
  const errors = Object.keys(ERROR_STATUSES).map(Number).filter((s) => !(s in spec.responses) && errorApplies(spec, s));
  for (const status of errors) {
    responses[String(status)] = {
      description: ERROR_STATUSES[status]!,
      content: { "application/json": { schema: ErrorResponse } },
    };
  }
  const names = new Set<SecurityName>([
    ...(spec.access === "public" ? [] : ["bearer" as const]),
    ...(spec.security ?? []),
  ]);
  const security = [...names].map((name) => ({ [name]: [] }));
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.name,
    tags: [tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(security.length > 0 ? { security } : { security: [] }),
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body
        ? {
          body: {
            required: spec.bodyRequired !== false,
            content: {
              "application/json": { schema: spec.body },
              ...(spec.acceptsForm ? { "application/x-www-form-urlencoded": { schema: spec.body } } : {}),
            },
          },
        }
        : {}),
      ...(spec.rawBody
        ? {
          body: {
            required: false,
            description: spec.rawBody.description,
            content: { [spec.rawBody.type]: { schema: openapi.string().openapi({ format: "binary" }) } },
          },
        }
        : {}),
    },
    responses,
  };
}

function errorApplies(spec: RouteSpec, status: number): boolean {
  if (status === 401) return spec.access !== "public" || (spec.security ?? []).length > 0;
  if (status === 400 || status === 413 || status === 415) return spec.body !== undefined || spec.rawBody !== undefined;
  if (status === 422) return spec.body !== undefined || spec.query !== undefined || spec.params !== undefined;
  if (status === 405) return true;
  return status === 500 || status === 503 || status === 403 || status === 404 || status === 429;
}

/**
 * Checks the caller as the route's access asks, and keeps the claims for the handler: a bearer JWT,
 * or an organization API key (x-api-key, or a bearer that is a key) which then acts as its member.
 */
function accessCheck<D extends BaseDeps>(access: Access): MiddlewareHandler<AppEnv<D>> {
  return async (c, next) => {
    const presented = access === "public" ? null : presentedApiKey(c.req.raw);
    if (presented !== null) {
      if (!c.env.sql) throw new Error("the function was built without a database");
      const identity = await exchangeApiKey(
        c.env.sql,
        presented,
        clientIp(c.req.raw),
        callerRequest(c.req.raw, c.var.requestId),
      );
      c.set("claims", keyClaims(identity, "groundwork:api-key", 300));
    } else if (access !== "public") {
      if (!c.env.verify) throw new Error("the function was built without a JWT verifier");
      const claims = await authenticate(c.req.raw, c.env.verify);
      if (access === "user" && claims.role !== "authenticated") {
        throw unauthorized("Cannot use this route: sign in first (a user's JWT, not an API key)");
      }
      c.set("claims", claims);
    }
    await next();
  };
}

/** The raw body, read once under the function's limit (413), as UTF-8 (400). */
export async function bodyText<D extends object>(c: Ctx<D>, maxBytes: number): Promise<string> {
  const cached = c.get("bodyText");
  if (cached !== undefined) return cached;
  const text = await readText(c.req.raw, maxBytes);
  c.set("bodyText", text);
  return text;
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

/**
 * The body as JSON, validated: 415 when it is not JSON, 400 when empty (a required body) or
 * malformed, 413 when oversize, 422 for a NUL character or a schema mismatch. An optional body
 * that is absent is validated as {} so defaults apply.
 */
async function readBody<D extends object>(
  c: Ctx<D>,
  schema: z.ZodType,
  required: boolean,
  maxBytes: number,
  acceptsForm = false,
): Promise<unknown> {
  const type = c.req.header("content-type");
  if (acceptsForm && type !== undefined && FORM_TYPE.test(type)) {
    const form = Object.fromEntries(new URLSearchParams(await bodyText(c, maxBytes)));
    rejectNul(form, "request body");
    return validate(schema, form, "request body");
  }
  if (type !== undefined && !JSON_TYPE.test(type)) {
    throw new HttpError(415, "unsupported_media_type", "Cannot accept the request: send the body as application/json");
  }
  const text = await bodyText(c, maxBytes);
  if (text.trim() === "") {
    if (required) throw badRequest("Cannot accept the request: the body is empty; send a JSON object");
    return validate(schema, {}, "request body");
  }
  if (type === undefined) {
    throw new HttpError(415, "unsupported_media_type", "Cannot accept the request: send the body as application/json");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest("Cannot accept the request: the body is not valid JSON", { parser: (error as Error).message });
  }
  rejectNul(value, "request body");
  return validate(schema, value, "request body");
}

function readQueryOf<D extends object>(c: Ctx<D>, schema: z.ZodType): unknown {
  const query = Object.fromEntries(new URL(c.req.url).searchParams);
  rejectNul(query, "query");
  return validate(schema, query, "query");
}

function rejectNul(value: unknown, what: string): void {
  const nul = nulPath(value);
  if (nul !== null) {
    throw new HttpError(
      422,
      "validation_failed",
      `Cannot accept the ${what}: text may not contain the NUL character (\\u0000)`,
      [{ path: nul || "(body)", message: "contains a NUL character" }],
    );
  }
}

/** Runs fn in one transaction as the route's caller (RLS decides), with the request's facts. */
export function asRequestCaller<D extends BaseDeps, T>(
  c: Ctx<D>,
  fn: (tx: Tx) => Promise<T>,
  claims: Claims = c.var.claims,
): Promise<T> {
  if (!c.env.sql) throw new Error("the function was built without a database");
  return asCaller(c.env.sql, claims, fn, callerRequest(c.req.raw, c.var.requestId));
}

/**
 * For the machine routes (the outbox dispatcher, the purge): the service role's JWT, or the
 * shared secret in x-dispatch-secret that pg_cron and the native waker send. Nothing else.
 */
export function serviceOrSecret<D extends BaseDeps & { secret: string }>(action: string): MiddlewareHandler<AppEnv<D>> {
  return async (c, next) => {
    const given = c.req.header("x-dispatch-secret");
    if (given !== undefined) {
      if (!(await safeEqual(given, c.env.secret))) {
        throw unauthorized(`Cannot ${action}: the x-dispatch-secret is wrong`);
      }
    } else {
      const token = bearerToken(c.req.raw);
      if (!token) throw unauthorized(`Cannot ${action}: send the service role's JWT or x-dispatch-secret`);
      if (!c.env.verify) throw new Error("the function was built without a JWT verifier");
      if ((await c.env.verify(token)).role !== "service_role") {
        throw forbidden(`Cannot ${action}: only the service role may`);
      }
    }
    await next();
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function orgIdOf(value: unknown): string | null {
  const id = value && typeof value === "object" ? (value as Record<string, unknown>).org_id : undefined;
  return typeof id === "string" && UUID.test(id) ? id : null;
}

/**
 * The one request limiter (private.hit_request_limits) for a route that writes or sends: counts the
 * caller (their API key, or the user, or the address when nobody signed in) and the organization
 * the request names (counted only when the caller is a member). Over a limit it throws 429 with
 * Retry-After and RateLimit-*; otherwise the bucket gives the answer its RateLimit-* headers.
 */
async function countRequest<D extends BaseDeps>(
  c: Ctx<D>,
  route: string,
  input: { body?: unknown; query?: unknown },
): Promise<void> {
  const claims = c.get("claims") as Claims | undefined;
  if (!c.env.sql || claims?.role === "service_role") return;
  const user = claims?.role === "authenticated" && claims.sub && UUID.test(claims.sub) ? claims.sub : null;
  const key = typeof claims?.api_key_id === "string" && UUID.test(claims.api_key_id) ? claims.api_key_id : null;
  const org = orgIdOf(input.body) ?? orgIdOf(input.query);
  const ip = user ? null : clientIp(c.req.raw);
  const [row] = await c.env.sql<{ bucket: Record<string, unknown> | null }[]>`
    select private.hit_request_limits(${route}, ${user}::uuid, ${key}::uuid, ${org}::uuid, ${ip}::inet) as bucket`;
  const bucket = row?.bucket;
  if (!bucket) return;
  if (bucket.allowed === false) {
    throw new HttpError(
      429,
      "rate_limited",
      `Cannot accept more requests now: the limit of ${bucket.limit} per ${bucket.window_seconds} seconds (${bucket.subject}) is reached`,
      {
        subject: bucket.subject,
        limit: bucket.limit,
        window_seconds: bucket.window_seconds,
        retry_after: bucket.retry_after,
      },
      limitHeaders({ ...bucket, remaining: 0 }),
    );
  }
  c.set("limit", bucket);
}
