/**
 * What every module's email templates share: locales, the template shape, the HTML layout and the
 * rule that links are http(s). Templates live per module in templates/<module>.ts (core.ts for the
 * core) and are gathered in templates/index.ts.
 */
import { z } from "zod";

export const LOCALES = ["en", "de"] as const;
export type Locale = (typeof LOCALES)[number];

export interface Body {
  subject: string;
  text: string;
  html: string;
}

export interface Attachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface Template<S extends z.ZodType> {
  data: S;
  bodies: Record<Locale, Body>;
  /** Files sent with the message (e.g. an .ics invitation), built from the validated data. */
  attachments?: (data: never) => Attachment[];
}

export const layout = (content: string) =>
  `<!doctype html><html><body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2937; max-width: 560px; margin: 0 auto; padding: 24px">${content}</body></html>`;

/** Links in emails are http(s) only: never javascript:, data: or anything else a client might run. */
export const HttpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
