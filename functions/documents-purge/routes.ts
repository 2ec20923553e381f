/**
 * documents-purge: removes documents whose retention ended. Callable only with the service role's
 * JWT or the scheduler secret (x-dispatch-secret). Per document, in one transaction: claim it
 * (for update skip locked), remove its objects through the Storage API, then delete its rows. A
 * failure rolls that document back untouched, and the next run tries again; removing an object
 * twice is harmless.
 */
import type { z } from "zod";
import { type Ctx, defineRoute, FunctionApp, serviceOrSecret } from "../_shared/app.ts";
import type { Verifier } from "../_shared/auth.ts";
import type { Sql } from "../_shared/db.ts";
import { json } from "../_shared/http.ts";
import type { StorageClient } from "../_shared/storage.ts";
import { PurgeRequest, PurgeResult } from "./schemas.ts";

export interface PurgeDeps {
  sql: Sql;
  storage: StorageClient;
}

export async function purge(deps: PurgeDeps, maxDocuments: number): Promise<PurgeResult> {
  const result: PurgeResult = { purged: 0, failed: 0, errors: [] };
  for (let i = 0; i < maxDocuments; i++) {
    let claimed = false;
    try {
      await deps.sql.begin(async (tx) => {
        const [row] = await tx<
          { document_id: string; paths: string[] }[]
        >`select * from private.claim_document_purges(1)`;
        if (!row) return;
        claimed = true;
        await deps.storage.remove("documents", row.paths);
        await tx`select private.finish_document_purge(${row.document_id})`;
        result.purged++;
      });
    } catch (error) {
      result.failed++;
      result.errors.push((error as Error).message);
      break; // Storage is failing: stop this run; everything not purged stays for the next one.
    }
    if (!claimed) break;
  }
  return result;
}

export interface PurgeFunctionDeps extends PurgeDeps {
  verify: Verifier;
  secret: string;
}

export const routes = {
  runPurge: defineRoute({
    name: "runPurge",
    method: "post",
    path: "/",
    summary: "Purge documents whose retention ended (pg_cron calls this)",
    access: "public",
    limited: false,
    security: ["bearer", "dispatchSecret"],
    middleware: [serviceOrSecret("purge")],
    body: PurgeRequest,
    bodyRequired: false,
    responses: {
      200: { description: "What was purged", schema: PurgeResult },
      502: { description: "Storage failed for a document; it stays for the next run", schema: PurgeResult },
    },
  }),
};

async function runPurge(c: Ctx<PurgeFunctionDeps>, { body }: { body: z.output<typeof PurgeRequest> }) {
  const result = await purge(c.env, body.max_documents);
  c.var.log.info("purged", { purged: result.purged, failed: result.failed });
  return json(result, { status: result.failed > 0 ? 502 : 200 });
}

export const purger = new FunctionApp<PurgeFunctionDeps>({
  name: "documents-purge",
  description: "Removes documents past their retention: objects through the Storage API, then their rows.",
  maxBodyBytes: 1024,
}).route(routes.runPurge, runPurge);
