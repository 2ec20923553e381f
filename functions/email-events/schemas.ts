/** The email-events webhook's shapes (Resend's event, as Svix delivers it). */
import { z } from "zod";

export const ResendEvent = z.object({
  type: z.string().describe("email.delivered and email.opened are recorded; other types are acknowledged"),
  created_at: z.iso.datetime({ offset: true }),
  data: z.looseObject({ email_id: z.string().min(1) }),
});

export const EventAnswer = z.object({
  recorded: z.boolean(),
  reason: z.string().optional(),
});
