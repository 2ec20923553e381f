/** The core's email templates: invitations, notifications and their digest, bookings. */
import { z } from "zod";
import { bookingInvite } from "../../ical.ts";
import { type Attachment, HttpUrl, layout, type Template } from "./shared.ts";

const InvitationData = z.object({
  org_name: z.string().min(1),
  inviter_name: z.string().min(1),
  role_name: z.string().min(1),
  accept_url: HttpUrl,
  expires_at: z.string().min(1),
});

const NotificationData = z.object({
  title: z.string().min(1),
  body: z.string().default(""),
  link: HttpUrl.nullable().optional(),
  org_name: z.string().nullable().optional(),
});

const DigestData = z.object({
  date: z.string().min(1),
  count: z.number().int().positive(),
  items: z.array(
    z.object({ title: z.string().min(1), body: z.string().default(""), link: HttpUrl.nullable().optional() }),
  ).min(1),
});

const BookingData = z.object({
  kind: z.enum(["confirmed", "rescheduled", "cancelled", "reminder"]),
  booking_id: z.uuid(),
  title: z.string().min(1),
  resource_name: z.string().min(1),
  time_zone: z.string().min(1),
  start_utc: z.iso.datetime(),
  end_utc: z.iso.datetime(),
  start_local: z.string().min(1),
  end_local: z.string().min(1),
  video_url: HttpUrl.nullable().optional(),
  sequence: z.number().int().nonnegative(),
  attendee_email: z.email(),
}).transform((d) => ({ ...d, [d.kind]: true }));

export const coreTemplates = {
  invitation: {
    data: InvitationData,
    bodies: {
      en: {
        subject: "{{inviter_name}} invited you to {{org_name}}",
        text:
          "{{inviter_name}} invited you to join {{org_name}} as {{role_name}}.\n\nAccept the invitation: {{accept_url}}\n\nThe link works once and expires on {{expires_at}}. If you did not expect this email, ignore it.",
        html: layout(
          `<p><strong>{{inviter_name}}</strong> invited you to join <strong>{{org_name}}</strong> as {{role_name}}.</p>` +
            `<p><a href="{{accept_url}}" style="background:#111827;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">Accept the invitation</a></p>` +
            `<p style="color:#6b7280">The link works once and expires on {{expires_at}}. If you did not expect this email, ignore it.</p>`,
        ),
      },
      de: {
        subject: "{{inviter_name}} hat Sie zu {{org_name}} eingeladen",
        text:
          "{{inviter_name}} hat Sie eingeladen, {{org_name}} als {{role_name}} beizutreten.\n\nEinladung annehmen: {{accept_url}}\n\nDer Link funktioniert einmal und läuft am {{expires_at}} ab. Falls Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.",
        html: layout(
          `<p><strong>{{inviter_name}}</strong> hat Sie eingeladen, <strong>{{org_name}}</strong> als {{role_name}} beizutreten.</p>` +
            `<p><a href="{{accept_url}}" style="background:#111827;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">Einladung annehmen</a></p>` +
            `<p style="color:#6b7280">Der Link funktioniert einmal und läuft am {{expires_at}} ab. Falls Sie diese E-Mail nicht erwartet haben, ignorieren Sie sie.</p>`,
        ),
      },
    },
  },
  notification: {
    data: NotificationData,
    bodies: {
      en: {
        subject: "{{title}}",
        text: "{{title}}\n\n{{body}}{{#link}}\n\nOpen: {{link}}{{/link}}",
        html: layout(
          `<h2 style="font-size:18px">{{title}}</h2><p>{{body}}</p>{{#link}}<p><a href="{{link}}">Open</a></p>{{/link}}`,
        ),
      },
      de: {
        subject: "{{title}}",
        text: "{{title}}\n\n{{body}}{{#link}}\n\nÖffnen: {{link}}{{/link}}",
        html: layout(
          `<h2 style="font-size:18px">{{title}}</h2><p>{{body}}</p>{{#link}}<p><a href="{{link}}">Öffnen</a></p>{{/link}}`,
        ),
      },
    },
  },
  digest: {
    data: DigestData,
    bodies: {
      en: {
        subject: "Your daily summary: {{count}} notification(s)",
        text:
          "Your notifications of {{date}}:\n{{#items}}\n- {{title}}{{#body}}: {{body}}{{/body}}{{#link}} ({{link}}){{/link}}{{/items}}",
        html: layout(
          `<h2 style="font-size:18px">Your notifications of {{date}}</h2><ul>{{#items}}<li><strong>{{title}}</strong>{{#body}}: {{body}}{{/body}}{{#link}} <a href="{{link}}">Open</a>{{/link}}</li>{{/items}}</ul>`,
        ),
      },
      de: {
        subject: "Ihre tägliche Zusammenfassung: {{count}} Benachrichtigung(en)",
        text:
          "Ihre Benachrichtigungen vom {{date}}:\n{{#items}}\n- {{title}}{{#body}}: {{body}}{{/body}}{{#link}} ({{link}}){{/link}}{{/items}}",
        html: layout(
          `<h2 style="font-size:18px">Ihre Benachrichtigungen vom {{date}}</h2><ul>{{#items}}<li><strong>{{title}}</strong>{{#body}}: {{body}}{{/body}}{{#link}} <a href="{{link}}">Öffnen</a>{{/link}}</li>{{/items}}</ul>`,
        ),
      },
    },
  },
  booking: {
    data: BookingData,
    bodies: {
      en: {
        subject:
          "{{#confirmed}}Booked{{/confirmed}}{{#rescheduled}}Moved{{/rescheduled}}{{#cancelled}}Cancelled{{/cancelled}}{{#reminder}}Reminder{{/reminder}}: {{title}} on {{start_local}}",
        text:
          "{{#cancelled}}Cancelled: {{/cancelled}}{{title}} with {{resource_name}}\n{{start_local}}–{{end_local}} ({{time_zone}}){{#video_url}}\nJoin: {{video_url}}{{/video_url}}\n\nThe attached invitation adds it to your calendar.",
        html: layout(
          `<h2 style="font-size:18px">{{#cancelled}}Cancelled: {{/cancelled}}{{title}}</h2><p>With {{resource_name}}<br>{{start_local}}–{{end_local}} ({{time_zone}})</p>{{#video_url}}<p><a href="{{video_url}}">Join the video call</a></p>{{/video_url}}<p style="color:#6b7280">The attached invitation adds it to your calendar.</p>`,
        ),
      },
      de: {
        subject:
          "{{#confirmed}}Gebucht{{/confirmed}}{{#rescheduled}}Verschoben{{/rescheduled}}{{#cancelled}}Abgesagt{{/cancelled}}{{#reminder}}Erinnerung{{/reminder}}: {{title}} am {{start_local}}",
        text:
          "{{#cancelled}}Abgesagt: {{/cancelled}}{{title}} mit {{resource_name}}\n{{start_local}}–{{end_local}} ({{time_zone}}){{#video_url}}\nTeilnehmen: {{video_url}}{{/video_url}}\n\nDie angehängte Einladung trägt den Termin in Ihren Kalender ein.",
        html: layout(
          `<h2 style="font-size:18px">{{#cancelled}}Abgesagt: {{/cancelled}}{{title}}</h2><p>Mit {{resource_name}}<br>{{start_local}}–{{end_local}} ({{time_zone}})</p>{{#video_url}}<p><a href="{{video_url}}">Am Videoanruf teilnehmen</a></p>{{/video_url}}<p style="color:#6b7280">Die angehängte Einladung trägt den Termin in Ihren Kalender ein.</p>`,
        ),
      },
    },
    attachments: (data: z.infer<typeof BookingData>): Attachment[] => [{
      filename: "invite.ics",
      contentType: `text/calendar; charset=utf-8; method=${data.kind === "cancelled" ? "CANCEL" : "REQUEST"}`,
      content: bookingInvite({
        id: data.booking_id,
        title: data.title,
        location: data.resource_name,
        start: data.start_utc,
        end: data.end_utc,
        timeZone: data.time_zone,
        videoUrl: data.video_url ?? null,
        sequence: data.sequence,
        cancelled: data.kind === "cancelled",
        attendee: data.attendee_email,
      }),
    }],
  },
} satisfies Record<string, Template<z.ZodType>>;
