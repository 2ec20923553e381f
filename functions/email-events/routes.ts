/**
 * email-events: the email provider's webhook (Resend, signed by Svix). Records delivered and
 * opened reports on the notification an email carried. Unsigned, stale or forged calls get 401
 * and change nothing.
 *
 * Svix signs `${svix-id}.${svix-timestamp}.${body}` with HMAC-SHA256 under the base64 secret that
 * follows "whsec_"; svix-signature lists "v1,<base64>" signatures separated by spaces.
 */
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import { type AppEnv, bodyText, type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { serviceClaims } from "../_shared/auth.ts";
import { safeEqual } from "../_shared/crypto.ts";
import { asCaller, type Sql } from "../_shared/db.ts";
import { unauthorized } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import { EventAnswer, ResendEvent } from "./schemas.ts";

const EVENTS: Record<string, "delivered" | "opened"> = { "email.delivered": "delivered", "email.opened": "opened" };
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 256 * 1024;

function base64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const binary = atob(value);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Verifies a Svix signature; throws 401 unless one v1 signature matches and the timestamp is fresh. */
export async function verifySvix(secret: string, headers: Headers, body: string, now = Date.now()): Promise<void> {
  const id = headers.get("svix-id");
  const timestamp = headers.get("svix-timestamp");
  const signatures = headers.get("svix-signature");
  if (!id || !timestamp || !signatures) throw unauthorized("Cannot accept the webhook: it is not signed");
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(now / 1000 - seconds) > TOLERANCE_SECONDS) {
    throw unauthorized("Cannot accept the webhook: its timestamp is too old or in the future");
  }
  const key = await crypto.subtle.importKey(
    "raw",
    base64ToBytes(secret.replace(/^whsec_/, "")),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)),
  );
  const expected = btoa(String.fromCharCode(...mac));
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",");
    if (version === "v1" && signature && (await safeEqual(signature, expected))) return;
  }
  throw unauthorized("Cannot accept the webhook: the signature does not match");
}

export interface EmailEventsDeps {
  sql: Sql;
  secret: string;
}

/** The signature is checked over the raw body before anything is parsed. */
const signed: MiddlewareHandler<AppEnv<EmailEventsDeps>> = async (c, next) => {
  await verifySvix(c.env.secret, c.req.raw.headers, await bodyText(c as Ctx<EmailEventsDeps>, MAX_BODY_BYTES));
  await next();
};

export const routes = {
  recordEmailEvent: defineRoute({
    name: "recordEmailEvent",
    method: "post",
    path: "/",
    summary: "Resend's delivery webhook: records delivered and opened on the notification an email carried",
    access: "public",
    limited: false,
    security: ["svixSignature"],
    middleware: [signed as MiddlewareHandler],
    body: ResendEvent,
    responses: { 200: { description: "Recorded, or acknowledged and ignored", schema: EventAnswer } },
  }),
};

async function recordEmailEvent(c: Ctx<EmailEventsDeps>, { body }: { body: z.output<typeof ResendEvent> }) {
  const kind = EVENTS[body.type];
  if (!kind) return json({ recorded: false, reason: `ignored event ${body.type}` });
  const [row] = await asCaller(
    c.env.sql,
    serviceClaims(),
    (tx) =>
      tx`select private.record_email_event(${body.data.email_id}, ${kind}, ${body.created_at}::timestamptz) as recorded`,
  );
  return json({ recorded: Boolean(row?.recorded) });
}

export const emailEvents = new FunctionApp<EmailEventsDeps>({
  name: "email-events",
  description: "The email provider's signed delivery webhook.",
  maxBodyBytes: MAX_BODY_BYTES,
}).route(routes.recordEmailEvent, recordEmailEvent);
