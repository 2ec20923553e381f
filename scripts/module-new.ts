/**
 * npm run module:new <name> [-- --table <table>]: lays out a new module as every module is laid out
 * (scripts/lib/layout.ts) — its schema and first table with permissions, scoped policies, the MFA
 * restriction, member references and audit; its pgTAP test, isolation spec, demo data, end-to-end
 * test and doc — exposes the schema in config.toml, lists it in the README, and regenerates
 * types/database.ts and the docs' generated parts. The result passes `npm test` as generated.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import postgres from "postgres";
import { ensurePackages } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { docFiles, readDoc, renderDoc } from "./lib/docs.ts";
import { generateTypes } from "./lib/gates.ts";
import { done, FatalError, runMain, step } from "./lib/log.ts";
import { doc, e2eTest, isolationSpec, migration, type ModuleNames, pgtap, seed } from "./lib/module-template.ts";
import { bin, root } from "./lib/paths.ts";
import { run } from "./lib/proc.ts";
import { throwawayCluster, typeSchemas } from "./lib/testdb.ts";

const NAME = /^[a-z][a-z0-9_]{1,29}$/;
const RESERVED = new Set([
  "core",
  "public",
  "private",
  "audit",
  "auth",
  "storage",
  "extensions",
  "realtime",
  "graphql",
  "graphql_public",
  "tests",
  "cron",
  "net",
  "vault",
  "information_schema",
]);

function parseArgs(argv: string[]): { module: string; table: string } {
  const positional = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--table");
  const tableAt = argv.indexOf("--table");
  const module = positional[0];
  const table = tableAt >= 0 ? argv[tableAt + 1] : "records";
  if (!module) throw new FatalError("Usage: npm run module:new <name> [-- --table <first table>]");
  for (const [what, value] of [["module", module], ["table", table]] as const) {
    if (!value || !NAME.test(value)) {
      throw new FatalError(`Cannot lay out the ${what} ${value ?? "(none)"}: use ${NAME} (lower case, digits, _)`);
    }
  }
  if (RESERVED.has(module) || module.startsWith("pg_") || module.startsWith("supabase")) {
    throw new FatalError(`Cannot lay out the module ${module}: the name is taken by the core or the platform`);
  }
  if (readConfig().schemas.includes(module)) throw new FatalError(`Cannot lay out ${module}: the module exists`);
  return { module, table: table! };
}

/** The next migration version: now, and later than every migration there is. */
function nextVersion(): string {
  const now = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const latest = readdirSync(join(root, "supabase", "migrations")).map((f) => f.slice(0, 14)).sort().at(-1) ?? "0";
  return now > latest ? now : String(BigInt(latest) + 1n);
}

function nextSeedOrder(): string {
  const used = readdirSync(join(root, "supabase", "seeds")).map((f) => Number(f.slice(0, 2))).filter(Number.isFinite);
  return String(Math.min(99, Math.floor(Math.max(0, ...used) / 10) * 10 + 10)).padStart(2, "0");
}

function write(path: string, text: string): void {
  const full = join(root, path);
  if (existsSync(full)) throw new FatalError(`Cannot write ${path}: it exists`);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  done(`Wrote ${path}`);
}

/** Adds the schema to [api] schemas in config.toml (the one list of exposed schemas). */
function expose(module: string): void {
  const path = join(root, "supabase", "config.toml");
  const text = readFileSync(path, "utf8");
  const line = /^schemas = \[([^\]]*)\]$/m;
  if (!line.test(text)) throw new FatalError("Cannot find [api] schemas in supabase/config.toml");
  writeFileSync(path, text.replace(line, (_, list: string) => `schemas = [${list}, "${module}"]`));
  done(`Exposed ${module} in supabase/config.toml`);
}

/**
 * Lists the module in the README's table of parts, before the modules still to come, and shows the
 * new newest migration in the README's sample answer of health.
 */
function listInReadme(module: string, migration: string): void {
  const path = join(root, "README.md");
  const [, version, name] = /^(\d+)_(.+)\.sql$/.exec(migration)!;
  const text = readFileSync(path, "utf8").replace(
    /"migration":\{"version":"\d+","name":"[a-z0-9_]+"\}/,
    `"migration":{"version":"${version}","name":"${name}"}`,
  );
  const row =
    `| **${module}** module | \`${module}\` | (say what it does) | [docs/modules/${module}.md](docs/modules/${module}.md) |\n`;
  const anchor = text.search(/^\| crm, clinic, hiring, publishing \|/m);
  writeFileSync(path, anchor < 0 ? text : text.slice(0, anchor) + row + text.slice(anchor));
  done("Listed it in README.md");
}

async function regenerate(): Promise<void> {
  const config = readConfig();
  await ensurePackages();
  step("Building a throwaway database with the new module (migrations and demo data)");
  const db = await throwawayCluster(config.schemas, { seed: true });
  const sql = postgres(db.cluster.url(), { max: 1, onnotice: () => {} });
  try {
    writeFileSync(
      join(root, "types", "database.ts"),
      await generateTypes(db.cluster.url(), typeSchemas(config.schemas)),
    );
    done("Regenerated types/database.ts");
    for (const file of docFiles()) {
      const before = readDoc(file);
      const after = await renderDoc(sql, before);
      if (after !== before) writeFileSync(file, after);
    }
    done("Rendered the docs' generated parts");
  } finally {
    await sql.end();
    await db.dispose();
  }
}

async function main(): Promise<void> {
  const { module, table } = parseArgs(process.argv.slice(2));
  const names: ModuleNames = { module, table, version: nextVersion(), seedOrder: nextSeedOrder() };
  step(`Laying out the module ${module} with its first table ${module}.${table}`);
  const migrationFile = `${names.version}_${module}_${table}.sql`;
  write(`supabase/migrations/${migrationFile}`, migration(names));
  write(`tests/db/${module}_${table}.test.sql`, pgtap(names));
  write(`tests/isolation/specs/${module}.ts`, isolationSpec(names));
  write(`supabase/seeds/${names.seedOrder}_${module}.sql`, seed(names));
  write(`tests/modules/${module}/${table}.test.ts`, e2eTest(names));
  write(`docs/modules/${module}.md`, doc(names));
  const formatted = await run(bin("deno"), [
    "fmt",
    "--quiet",
    `tests/isolation/specs/${module}.ts`,
    `tests/modules/${module}`,
  ], { cwd: root });
  if (formatted.code !== 0) throw new FatalError(`deno fmt failed: ${formatted.stderr.trim()}`);
  expose(module);
  listInReadme(module, migrationFile);
  await regenerate();
  done(
    `The module ${module} is laid out; \`npm test\` checks it. Next: ${
      relative(root, join(root, "docs", "modules"))
    }/${module}.md`,
  );
}

runMain(main);
