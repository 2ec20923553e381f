/**
 * npm run token -- <email> [--aal aal2] [--hours 24]
 * Prints a fresh access token for an existing user of the native stack: a new auth.sessions row and
 * a JWT signed as Supabase Auth signs one, with the access-token hook's claims.
 */
import postgres from "postgres";
import { findUser, signIn } from "./lib/actas.ts";
import { option, positionals } from "./lib/args.ts";
import { readConfig } from "./lib/config.ts";
import { FatalError, runMain } from "./lib/log.ts";

async function main(): Promise<void> {
  const [email] = positionals(["--aal", "--hours"]);
  if (!email) throw new FatalError("Usage: npm run token -- <email> [--aal aal2] [--hours 24]");
  const aal = option("--aal") === "aal2" ? "aal2" : "aal1";
  const hours = Number(option("--hours") ?? 1);
  if (!(hours > 0 && hours <= 24 * 7)) throw new FatalError("--hours must be between 0 and 168");
  const sql = postgres(
    process.env.SUPABASE_DB_URL ?? `postgresql://postgres:postgres@127.0.0.1:${readConfig().dbPort}/postgres`,
    { max: 1, onnotice: () => {} },
  );
  try {
    const user = await findUser(sql, email);
    if (!user) throw new FatalError(`There is no user ${email}: create one with npm run user -- create ${email}`);
    const { token } = await signIn(sql, user, aal, Math.round(hours * 3600));
    console.log(token);
  } finally {
    await sql.end();
  }
}

runMain(main);
