/**
 * Email transports, chosen by EMAIL_TRANSPORT: SMTP through nodemailer (pooled connections) or
 * Resend's HTTP API. Both carry the outbox idempotency key: Resend refuses a second send with the
 * same Idempotency-Key; SMTP messages get it as their Message-ID.
 */
import nodemailer from "nodemailer";
import { z } from "zod";

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  idempotencyKey: string;
  attachments?: { filename: string; contentType: string; content: string }[];
}

export interface EmailTransport {
  name: string;
  send(email: OutgoingEmail): Promise<{ providerMessageId: string }>;
  /** Whether the provider answers and accepts our credentials (health); throws a TransportError when not. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** A send that failed; permanent ones (the provider refused the message itself) are not retried. */
export class TransportError extends Error {
  override name = "TransportError";
  constructor(message: string, readonly permanent = false) {
    super(message);
  }
}

export const EmailEnv = z.object({
  EMAIL_TRANSPORT: z.enum(["smtp", "resend"]).default("smtp"),
  EMAIL_FROM: z.string().min(3).default("Groundwork <no-reply@groundwork.test>"),
  SMTP_HOST: z.string().min(1).default("127.0.0.1"),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(54325),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  SMTP_SECURE: z.enum(["true", "false"]).default("false"),
  /** Pooled SMTP connections kept open (and so messages sent in parallel). */
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(5),
  RESEND_API_KEY: z.string().optional(),
  RESEND_API_URL: z.url().default("https://api.resend.com"),
});
export type EmailEnv = z.infer<typeof EmailEnv>;

function messageId(key: string): string {
  return `<${key.replace(/[^A-Za-z0-9._-]/g, "-")}@groundwork.mail>`;
}

export function smtpTransport(env: EmailEnv): EmailTransport {
  const transporter = nodemailer.createTransport({
    pool: true,
    maxConnections: env.SMTP_MAX_CONNECTIONS,
    maxMessages: 500,
    host: env.SMTP_HOST,
    port: env.SMTP_PORT,
    secure: env.SMTP_SECURE === "true",
    auth: env.SMTP_USER ? { user: env.SMTP_USER, pass: env.SMTP_PASS ?? "" } : undefined,
    connectionTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    name: "smtp",
    async send(email) {
      try {
        const info = await transporter.sendMail({
          from: email.from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: messageId(email.idempotencyKey),
          attachments: email.attachments?.map((a) => ({
            filename: a.filename,
            contentType: a.contentType,
            content: a.content,
          })),
        });
        return { providerMessageId: String(info.messageId) };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        // 5xx on the recipient or content is permanent; connection errors and 4xx are not.
        throw new TransportError(
          `SMTP: ${(error as Error).message}`,
          typeof code === "number" && code >= 550 && code < 560,
        );
      }
    },
    async check() {
      try {
        await transporter.verify();
      } catch (error) {
        throw new TransportError(`SMTP: ${(error as Error).message}`);
      }
    },
    close: async () => transporter.close(),
  };
}

export function resendTransport(env: EmailEnv, fetchImpl: typeof fetch = fetch): EmailTransport {
  if (!env.RESEND_API_KEY) throw new TransportError("Cannot use Resend: RESEND_API_KEY is not set", true);
  const url = new URL("/emails", env.RESEND_API_URL).toString();
  return {
    name: "resend",
    async send(email) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: "POST",
          headers: {
            authorization: `Bearer ${env.RESEND_API_KEY}`,
            "content-type": "application/json",
            "idempotency-key": email.idempotencyKey,
          },
          body: JSON.stringify({
            from: email.from,
            to: [email.to],
            subject: email.subject,
            html: email.html,
            text: email.text,
            ...(email.attachments?.length
              ? {
                attachments: email.attachments.map((a) => ({
                  filename: a.filename,
                  content: btoa(unescape(encodeURIComponent(a.content))),
                  content_type: a.contentType,
                })),
              }
              : {}),
          }),
        });
      } catch (error) {
        throw new TransportError(`Resend: ${(error as Error).message}`);
      }
      const body = (await response.json().catch(() => ({}))) as { id?: string; message?: string; name?: string };
      if (!response.ok) {
        // 4xx (but 409, 429) means Resend refused the message itself: retrying cannot help.
        const permanent = response.status >= 400 && response.status < 500 && response.status !== 409 &&
          response.status !== 429;
        throw new TransportError(
          `Resend ${response.status}: ${body.message ?? body.name ?? response.statusText}`,
          permanent,
        );
      }
      if (!body.id) throw new TransportError("Resend: the response has no message id");
      return { providerMessageId: body.id };
    },
    async check() {
      let response: Response;
      try {
        response = await fetchImpl(new URL("/domains", env.RESEND_API_URL).toString(), {
          headers: { authorization: `Bearer ${env.RESEND_API_KEY}` },
        });
      } catch (error) {
        throw new TransportError(`Resend: ${(error as Error).message}`);
      }
      await response.body?.cancel();
      if (!response.ok) throw new TransportError(`Resend ${response.status}: the API refused the key or is down`);
    },
    close: async () => {},
  };
}

export function transportFromEnv(env: EmailEnv): EmailTransport {
  return env.EMAIL_TRANSPORT === "resend" ? resendTransport(env) : smtpTransport(env);
}
