/** The notifications function's shapes. */
import { z } from "zod";

export const ExportQuery = z.object({
  format: z.enum(["json", "csv"]).default("json"),
  include_archived: z.enum(["true", "false"]).default("false"),
}).strict();

export const EXPORT_COLUMNS = [
  "id",
  "org_id",
  "type",
  "title",
  "body",
  "link",
  "priority",
  "group_count",
  "deliver_at",
  "read_at",
  "archived_at",
  "email_delivered_at",
  "email_opened_at",
  "created_at",
] as const;

export const ExportedNotification = z.object({
  id: z.uuid(),
  org_id: z.uuid().nullable(),
  type: z.string(),
  title: z.string(),
  body: z.string().nullable(),
  link: z.string().nullable(),
  priority: z.string(),
  group_count: z.number().int(),
  deliver_at: z.string(),
  read_at: z.string().nullable(),
  archived_at: z.string().nullable(),
  email_delivered_at: z.string().nullable(),
  email_opened_at: z.string().nullable(),
  created_at: z.string(),
});
export const NotificationsExport = z.object({
  exported_at: z.string(),
  notifications: z.array(ExportedNotification),
});
