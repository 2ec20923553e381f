/**
 * npm run sql -- --as <email | anon | service_role> [--aal aal2] "<sql>"
 * Runs SQL on the native stack's database in one transaction as that caller, exactly as PostgREST
 * runs a request (set local role, request.jwt.claims, request.headers), so RLS and every trigger
 * decide as they would for supabase-js. Prints the last statement's rows as JSON.
 * (`supabase.from("members").select("*")` ⇔ `npm run sql -- --as a@b.c "select * from public.members"`.)
 */
import postgres from "postgres";
import { type Actor, findUser, runAs } from "./lib/actas.ts";
import { option, positionals } from "./lib/args.ts";
import { readConfig } from "./lib/config.ts";
import { FatalError, runMain } from "./lib/log.ts";

async function main(): Promise<void> {
  const who = option("--as");
  const [statement] = positionals(["--as", "--aal"]);
  if (!who || !statement) {
    throw new FatalError('Usage: npm run sql -- --as <email | anon | service_role> [--aal aal2] "<sql>"');
  }
  const sql = postgres(
    process.env.SUPABASE_DB_URL ?? `postgresql://postgres:postgres@127.0.0.1:${readConfig().dbPort}/postgres`,
    { max: 1, onnotice: () => {} },
  );
  try {
    let actor: Actor;
    if (who === "anon" || who === "service_role") actor = { kind: who };
    else {
      const user = await findUser(sql, who);
      if (!user) throw new FatalError(`There is no user ${who}: create one with npm run user -- create ${who}`);
      actor = { kind: "user", user, aal: option("--aal") === "aal2" ? "aal2" : "aal1" };
    }
    const rows = await runAs(sql, actor, statement).catch((error: Error & { code?: string }) => {
      throw new FatalError(`${error.code ? `${error.code}: ` : ""}${error.message}`);
    });
    console.log(JSON.stringify(rows, null, 2));
  } finally {
    await sql.end();
  }
}

runMain(main);
