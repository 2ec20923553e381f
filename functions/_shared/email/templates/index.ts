/**
 * Email templates, per template and locale: a subject, a plain-text and an HTML body (Mustache:
 * {{x}} is HTML-escaped in html, {{{x}}} is not used for user data). Each template validates its
 * data with zod before rendering: a missing template, locale fallback aside, or a missing or
 * malformed variable is a permanent failure (a dead message), never a half-rendered email.
 *
 * Each module that sends email of its own keeps its templates in templates/<module>.ts, named
 * `<module>.<template>`, and adds them here; the core's are in core.ts.
 */
import Mustache from "mustache";
import type { z } from "zod";
import { coreTemplates } from "./core.ts";
import { type Attachment, type Locale, LOCALES, type Template } from "./shared.ts";

export { type Attachment, type Locale, LOCALES } from "./shared.ts";

export const templates = {
  ...coreTemplates,
} satisfies Record<string, Template<z.ZodType>>;

export type TemplateName = keyof typeof templates;

/** A failure no retry can fix: unknown template, or data that does not fit it. */
export class RenderError extends Error {
  override name = "RenderError";
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments?: Attachment[];
}

// Plain text is not HTML: nothing is escaped there.
function renderText(source: string, view: unknown): string {
  return Mustache.render(source, view, {}, { escape: (value: unknown) => String(value) });
}

/** Renders a template in a locale (falling back to en for an unknown locale). */
export function renderEmail(template: string, locale: string, data: unknown): RenderedEmail {
  const entry = (templates as Record<string, Template<z.ZodType>>)[template];
  if (!entry) throw new RenderError(`Cannot render email: there is no template named ${template}`);
  const parsed = entry.data.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(data)"}: ${i.message}`).join("; ");
    throw new RenderError(`Cannot render email ${template}: its data is invalid (${problems})`);
  }
  const language = (LOCALES as readonly string[]).includes(locale) ? (locale as Locale) : "en";
  const body = entry.bodies[language];
  return {
    subject: renderText(body.subject, parsed.data).replace(/\s+/g, " ").trim(),
    text: renderText(body.text, parsed.data),
    html: Mustache.render(body.html, parsed.data),
    ...(entry.attachments ? { attachments: (entry.attachments as (data: unknown) => Attachment[])(parsed.data) } : {}),
  };
}
