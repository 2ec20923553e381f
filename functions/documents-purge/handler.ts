/**
 * documents-purge: removes documents whose retention ended. Callable only with the service role's
 * JWT or the scheduler secret (x-dispatch-secret). Per document, in one transaction: claim it
 * (for update skip locked), remove its objects through the Storage API, then delete its rows. A
 * failure rolls that document back untouched, and the next run tries again; removing an object
 * twice is harmless.
 */
import { z } from "zod";
import { bearerToken, createVerifier, type Verifier, verifierFromEnv } from "../_shared/auth.ts";
import { safeEqual } from "../_shared/crypto.ts";
import { connect, type Sql } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { forbidden, unauthorized } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readJson } from "../_shared/http.ts";
import { type StorageClient, storageClient, StorageEnv } from "../_shared/storage.ts";

export const PurgeRequest = z.object({ max_documents: z.number().int().min(1).max(1000).default(100) }).strict();

export interface PurgeDeps {
  sql: Sql;
  storage: StorageClient;
}

export interface PurgeResult {
  purged: number;
  failed: number;
  errors: string[];
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

async function authorize(request: Request, verify: Verifier, secret: string): Promise<void> {
  const given = request.headers.get("x-dispatch-secret");
  if (given !== null) {
    if (await safeEqual(given, secret)) return;
    throw unauthorized("Cannot purge: the scheduler secret is wrong");
  }
  const token = bearerToken(request);
  if (!token) throw unauthorized("Cannot purge: send the service role's JWT or x-dispatch-secret");
  if ((await verify(token)).role !== "service_role") throw forbidden("Cannot purge: only the service role may");
}

export function createPurgeHandler(deps: PurgeDeps & { verify: Verifier; secret: string }): Handler {
  return createHandler({ name: "documents-purge", methods: ["POST"], maxBodyBytes: 1024 }, async (request, { log }) => {
    await authorize(request, deps.verify, deps.secret);
    const hasBody = (request.headers.get("content-length") ?? "0") !== "0";
    const options = hasBody ? await readJson(request, PurgeRequest) : PurgeRequest.parse({});
    const result = await purge(deps, options.max_documents);
    log.info("purged", { purged: result.purged, failed: result.failed });
    return json(result, { status: result.failed > 0 ? 502 : 200 });
  });
}

export const PurgeEnv = BaseEnv.extend(StorageEnv.shape).extend({ DISPATCH_SECRET: z.string().min(32) });

function fromEnv() {
  const env = readEnv(PurgeEnv, runtimeEnv(), "function documents-purge");
  return {
    sql: connect(env.SUPABASE_DB_URL, "groundwork:documents-purge"),
    storage: storageClient(env),
    verify: createVerifier(verifierFromEnv(env)),
    secret: env.DISPATCH_SECRET,
  };
}

export const handler: Handler = createPurgeHandler(fromEnv());
