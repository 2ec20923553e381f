/**
 * notifications: what the client should not do alone with its notifications.
 *
 *   GET /notifications/export?format=json|csv[&include_archived=true]   download my notifications
 *
 * Reading, marking read/unread and archiving go straight through supabase-js (RLS lets a user
 * touch only their own); Realtime streams new ones (table public.notifications).
 */
import { z } from "zod";
import { authenticate } from "../_shared/auth.ts";
import { asCaller, callerRequest } from "../_shared/db.ts";
import { toCsv } from "../_shared/csv.ts";
import { notFound, unauthorized } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readQuery } from "../_shared/http.ts";
import { createRuntime, type Runtime } from "../_shared/runtime.ts";

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

export function createNotificationsHandler(deps: Runtime): Handler {
  return createHandler({ name: "notifications", methods: ["GET"] }, async (request, { url, requestId }) => {
    const segments = url.pathname.split("/").filter(Boolean);
    if (segments.at(-1) !== "export") throw notFound(`Nothing is served at ${url.pathname}`);
    const query = readQuery(url, ExportQuery);
    const claims = await authenticate(request, deps.verify);
    if (claims.role !== "authenticated") throw unauthorized("Cannot export notifications: sign in first");
    const rows = await asCaller(deps.sql, claims, (tx) =>
      tx`
      select ${tx.unsafe(EXPORT_COLUMNS.join(", "))}
      from public.notifications
      where user_id = auth.uid() and (${query.include_archived === "true"} or archived_at is null)
      order by deliver_at desc`, callerRequest(request, requestId));
    const date = new Date().toISOString().slice(0, 10);
    if (query.format === "csv") {
      const csv = toCsv(rows as unknown as Record<string, unknown>[], EXPORT_COLUMNS);
      return new Response(csv, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="notifications-${date}.csv"`,
        },
      });
    }
    return json({ exported_at: new Date().toISOString(), notifications: rows }, {
      headers: { "content-disposition": `attachment; filename="notifications-${date}.json"` },
    });
  });
}

export const handler: Handler = createNotificationsHandler(createRuntime("notifications"));
