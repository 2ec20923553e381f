/**
 * notifications: what the client should not do alone with its notifications. Reading, marking
 * read/unread and archiving go straight through supabase-js (RLS lets a user touch only their
 * own); Realtime streams new ones (table public.notifications).
 */
import { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { toCsv } from "../_shared/csv.ts";
import { json } from "../_shared/http.ts";
import type { Runtime } from "../_shared/runtime.ts";
import { EXPORT_COLUMNS, ExportQuery, NotificationsExport } from "./schemas.ts";

export { EXPORT_COLUMNS, ExportQuery };

export const routes = {
  exportNotifications: defineRoute({
    name: "exportNotifications",
    method: "get",
    path: "/export",
    summary: "Download my notifications as JSON or CSV (cells neutralised against formulas)",
    access: "user",
    query: ExportQuery,
    responses: {
      200: { description: "The export (JSON; text/csv when format=csv)", schema: NotificationsExport },
    },
  }),
};

async function exportNotifications(c: Ctx<Runtime>, { query }: { query: z.output<typeof ExportQuery> }) {
  const rows = await asRequestCaller(c, (tx) =>
    tx`
    select ${tx.unsafe(EXPORT_COLUMNS.join(", "))}
    from public.notifications
    where user_id = auth.uid() and (${query.include_archived === "true"} or archived_at is null)
    order by deliver_at desc`);
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
}

export const notifications = new FunctionApp<Runtime>({
  name: "notifications",
  description: "Exports of a user's own notifications.",
}).route(routes.exportNotifications, exportNotifications);
