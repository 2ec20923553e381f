import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEmail, RenderError } from "../../functions/_shared/email/templates/index.ts";
import { EmailEnv, resendTransport, smtpTransport, TransportError } from "../../functions/_shared/email/transport.ts";
import { testEnv } from "../helpers/env.ts";
import { waitForMail } from "../helpers/mail.ts";

const invitation = {
  org_name: "Acme <Corp>",
  inviter_name: 'Olga "O" Owner',
  role_name: "Admin",
  accept_url: "https://app.example.test/accept?token=abc",
  expires_at: "2026-12-01",
};

describe("templates", () => {
  it("renders subject, text and HTML in English and German", () => {
    const en = renderEmail("invitation", "en", invitation);
    expect(en.subject).toBe('Olga "O" Owner invited you to Acme <Corp>');
    expect(en.text).toContain("Accept the invitation: https://app.example.test/accept?token=abc");
    const de = renderEmail("invitation", "de", invitation);
    expect(de.subject).toBe('Olga "O" Owner hat Sie zu Acme <Corp> eingeladen');
    expect(de.html).toContain("Einladung annehmen");
  });

  it("escapes user data in HTML, never in text", () => {
    const { html, text } = renderEmail("notification", "en", {
      title: "<script>alert(1)</script>",
      body: "Tom & Jerry",
    });
    expect(html).toContain("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain("Tom &amp; Jerry");
    expect(text).toContain("<script>alert(1)</script>");
  });

  it("falls back to English for an unknown locale", () => {
    expect(renderEmail("notification", "xx", { title: "Hi" }).html).toContain("Hi");
  });

  it("refuses an unknown template", () => {
    expect(() => renderEmail("nope", "en", {})).toThrow(
      new RenderError("Cannot render email: there is no template named nope"),
    );
  });

  it("refuses missing or malformed variables rather than render half an email", () => {
    const { accept_url: _, ...missing } = invitation;
    expect(() => renderEmail("invitation", "en", missing)).toThrow(/accept_url/);
    expect(() => renderEmail("invitation", "en", { ...invitation, accept_url: "javascript:alert(1)" })).toThrow(
      RenderError,
    );
    expect(() => renderEmail("digest", "en", { date: "2026-11-21", count: 1, items: [] })).toThrow(/items/);
  });
});

describe("the Resend transport, against a local server that checks each request as Resend documents it", () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; path?: string; headers: IncomingMessage["headers"]; body: Record<string, unknown> }[] =
    [];
  let reply: { status: number; body: unknown } = { status: 200, body: { id: "re_123" } };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        seen.push({ method: req.method, path: req.url, headers: req.headers, body: JSON.parse(raw || "{}") });
        res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const env = () => EmailEnv.parse({ EMAIL_TRANSPORT: "resend", RESEND_API_KEY: "re_test_key", RESEND_API_URL: url });
  const email = {
    from: "Groundwork <no-reply@groundwork.test>",
    to: "ana@example.test",
    subject: "S",
    text: "T",
    html: "<p>H</p>",
    idempotencyKey: "inv-1:send-1",
  };

  it("POSTs /emails with the API key, the idempotency key and the message", async () => {
    reply = { status: 200, body: { id: "re_123" } };
    expect(await resendTransport(env()).send(email)).toEqual({ providerMessageId: "re_123" });
    const request = seen.at(-1)!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/emails");
    expect(request.headers.authorization).toBe("Bearer re_test_key");
    expect(request.headers["idempotency-key"]).toBe("inv-1:send-1");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.body).toEqual({
      from: email.from,
      to: ["ana@example.test"],
      subject: "S",
      html: "<p>H</p>",
      text: "T",
    });
  });

  it("treats a refused message (422) as permanent and a rate limit or outage as temporary", async () => {
    reply = { status: 422, body: { name: "validation_error", message: "Invalid `to` field" } };
    await expect(resendTransport(env()).send(email)).rejects.toMatchObject({
      permanent: true,
      message: "Resend 422: Invalid `to` field",
    });
    reply = { status: 429, body: { message: "Too many requests" } };
    await expect(resendTransport(env()).send(email)).rejects.toMatchObject({ permanent: false });
    reply = { status: 503, body: {} };
    await expect(resendTransport(env()).send(email)).rejects.toBeInstanceOf(TransportError);
  });

  it("cannot be built without an API key", () => {
    expect(() => resendTransport(EmailEnv.parse({ EMAIL_TRANSPORT: "resend" }))).toThrow(/RESEND_API_KEY/);
  });
});

describe("the SMTP transport", () => {
  it("delivers to the mail catcher with the idempotency key as Message-ID", async () => {
    const transport = smtpTransport(EmailEnv.parse({ SMTP_HOST: "127.0.0.1", SMTP_PORT: process.env.SMTP_PORT }));
    const to = `smtp-${crypto.randomUUID()}@example.test`;
    const { providerMessageId } = await transport.send({
      from: "Groundwork <no-reply@groundwork.test>",
      to,
      subject: "Pooled",
      text: "T",
      html: "<p>H</p>",
      idempotencyKey: "smtp:test/1",
    });
    await transport.close();
    expect(providerMessageId).toBe("<smtp-test-1@groundwork.mail>");
    const [mail] = await waitForMail(to);
    expect(mail!.subject).toBe("Pooled");
    expect(mail!.messageId).toBe("smtp-test-1@groundwork.mail");
  });
});
