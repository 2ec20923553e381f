/**
 * npm run user -- create <email> [--name "Full Name"] [--aal aal2]
 * Creates a confirmed user on the native stack exactly as Supabase Auth's sign-up writes it to the
 * database (auth.users, auth.identities; our triggers add the profile) and prints an access token.
 */
import postgres from "postgres";
import { createUser, signIn } from "./lib/actas.ts";
import { readConfig } from "./lib/config.ts";
import { FatalError, runMain } from "./lib/log.ts";
import { option, positionals } from "./lib/args.ts";

async function main(): Promise<void> {
  const [command, email] = positionals(["--name", "--aal"]);
  if (command !== "create" || !email) {
    throw new FatalError('Usage: npm run user -- create <email> [--name "Full Name"] [--aal aal2]');
  }
  const aal = option("--aal") === "aal2" ? "aal2" : "aal1";
  const sql = postgres(
    process.env.SUPABASE_DB_URL ?? `postgresql://postgres:postgres@127.0.0.1:${readConfig().dbPort}/postgres`,
    { max: 1, onnotice: () => {} },
  );
  try {
    const user = await createUser(sql, email, option("--name"));
    const { token } = await signIn(sql, user, aal);
    console.log(JSON.stringify({ id: user.id, email: user.email, access_token: token }, null, 2));
  } catch (error) {
    throw new FatalError((error as Error).message);
  } finally {
    await sql.end();
  }
}

runMain(main);
