/**
 * email-events: the email provider's webhook (Resend, signed by Svix). Records delivered and
 * opened reports on the notification an email carried. Unsigned, stale or forged calls get 401
 * and change nothing.
 *
 * Svix signs `${svix-id}.${svix-timestamp}.${body}` with HMAC-SHA256 under the base64 secret that
 * follows "whsec_"; svix-signature lists "v1,<base64>" signatures separated by spaces.
 */
import { z } from "zod";
import { safeEqual } from "../_shared/crypto.ts";
import { asCaller, connect, type Sql } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { unauthorized } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readText, validate } from "../_shared/http.ts";

export const ResendEvent = z.object({
  type: z.string(),
  created_at: z.iso.datetime({ offset: true }),
  data: z.looseObject({ email_id: z.string().min(1) }),
});

const EVENTS: Record<string, "delivered" | "opened"> = { "email.delivered": "delivered", "email.opened": "opened" };
const TOLERANCE_SECONDS = 5 * 60;

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

export function createEmailEventsHandler(deps: EmailEventsDeps): Handler {
  return createHandler({ name: "email-events", methods: ["POST"], maxBodyBytes: 256 * 1024 }, async (request) => {
    const body = await readText(request);
    await verifySvix(deps.secret, request.headers, body);
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return json(
        { error: { code: "bad_request", message: "Cannot accept the webhook: the body is not valid JSON" } },
        { status: 400 },
      );
    }
    const event = validate(ResendEvent, payload, "webhook event");
    const kind = EVENTS[event.type];
    if (!kind) return json({ recorded: false, reason: `ignored event ${event.type}` });
    const service = { role: "service_role" as const, exp: Math.floor(Date.now() / 1000) + 60 };
    const [row] = await asCaller(
      deps.sql,
      service,
      (tx) =>
        tx`select private.record_email_event(${event.data.email_id}, ${kind}, ${event.created_at}::timestamptz) as recorded`,
    );
    return json({ recorded: Boolean(row?.recorded) });
  });
}

export const EmailEventsEnv = BaseEnv.extend({
  RESEND_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, "must be Resend's whsec_ signing secret"),
});

function fromEnv(): EmailEventsDeps {
  const env = readEnv(EmailEventsEnv, runtimeEnv(), "function email-events");
  return { sql: connect(env.SUPABASE_DB_URL, "groundwork:email-events"), secret: env.RESEND_WEBHOOK_SECRET };
}

export const handler: Handler = createEmailEventsHandler(fromEnv());
