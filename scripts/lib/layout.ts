/**
 * The layout every part of Groundwork follows — the core, and each module under its schema's name —
 * so a module is found in the same places as every other:
 *   supabase/migrations/<timestamp>_<part>_<concern>.sql   tests/db/<part>_<concern>.test.sql
 *   tests/isolation/specs/<part>.ts                         supabase/seeds/NN_<part>.sql
 *   docs/core/*.md | docs/modules/<module>.md               tests/core/ | tests/modules/<module>/
 *   functions/_shared/email/templates/<part>.ts             where the part sends email of its own
 *   functions/<module>-*                                    where the module has functions
 * `layoutProblems` lists every place a part is missing from, and every file named for no part.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readConfig } from "./config.ts";
import { root } from "./paths.ts";

/** The modules: every exposed schema but the core's. */
export function modules(): string[] {
  return readConfig().schemas.filter((s) => s !== "public" && s !== "graphql_public");
}

const list = (...path: string[]) => existsSync(join(root, ...path)) ? readdirSync(join(root, ...path)).sort() : [];

/** Templates a part's migrations queue by name (private.enqueue_email('<name>', ...)). */
function queuedTemplates(part: string): string[] {
  const names = list("supabase", "migrations").filter((f) => new RegExp(`^\\d{14}_${part}_`).test(f))
    .flatMap((f) =>
      [...readFileSync(join(root, "supabase", "migrations", f), "utf8").matchAll(/enqueue_email\(\s*'([a-z_.]+)'/g)]
        .map((m) => m[1]!)
    );
  return [...new Set(names)];
}

export function layoutProblems(): string[] {
  const parts = ["core", ...modules()];
  const problems: string[] = [];
  const missing = (part: string, what: string) => problems.push(`${part}: no ${what}`);
  const partOf = (name: string) => parts.find((p) => name.startsWith(`${p}_`));
  for (const file of list("supabase", "migrations").filter((f) => f.endsWith(".sql"))) {
    if (!/^\d{14}_[a-z0-9_]+\.sql$/.test(file) || !partOf(file.slice(15))) {
      problems.push(
        `supabase/migrations/${file}: not named <timestamp>_<part>_<concern>.sql for a part (${parts.join(", ")})`,
      );
    }
  }
  for (const file of list("tests", "db").filter((f) => f.endsWith(".test.sql"))) {
    if (!partOf(file) && !file.startsWith("platform")) {
      problems.push(`tests/db/${file}: not named <part>_<concern>.test.sql (or platform_*)`);
    }
  }
  for (const file of list("supabase", "seeds")) {
    const match = /^\d{2}_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match || !parts.includes(match[1]!)) problems.push(`supabase/seeds/${file}: not named NN_<part>.sql`);
  }
  if (!readConfig().seedPaths.includes("./seeds/*.sql")) {
    problems.push(`supabase/config.toml: [db.seed] sql_paths does not load ./seeds/*.sql`);
  }
  for (
    const name of list("functions").filter((f) =>
      !f.startsWith("_") && statSync(join(root, "functions", f)).isDirectory()
    )
  ) {
    const module = modules().find((m) => name.startsWith(m));
    if (module && !name.startsWith(`${module}-`)) {
      problems.push(`functions/${name}: a module's function is named ${module}-<what>`);
    }
  }
  const templates = list("functions", "_shared", "email", "templates");
  for (const part of parts) {
    if (!list("supabase", "migrations").some((f) => new RegExp(`^\\d{14}_${part}_`).test(f))) {
      missing(part, "migration");
    }
    if (!list("tests", "db").some((f) => f.startsWith(`${part}_`))) missing(part, "tests/db/<part>_*.test.sql");
    if (!list("tests", "isolation", "specs").includes(`${part}.ts`)) missing(part, `tests/isolation/specs/${part}.ts`);
    if (!list("supabase", "seeds").some((f) => f.endsWith(`_${part}.sql`))) {
      missing(part, `supabase/seeds/NN_${part}.sql`);
    }
    const doc = part === "core" ? list("docs", "core").length > 0 : list("docs", "modules").includes(`${part}.md`);
    if (!doc) missing(part, part === "core" ? "docs/core/*.md" : `docs/modules/${part}.md`);
    const tests = part === "core" ? list("tests", "core") : list("tests", "modules", part);
    if (!tests.some((f) => f.endsWith(".test.ts"))) {
      missing(part, part === "core" ? "tests/core/*.test.ts" : `tests/modules/${part}/*.test.ts`);
    }
    const own = queuedTemplates(part);
    if (own.length > 0 && !templates.includes(`${part}.ts`)) {
      missing(part, `functions/_shared/email/templates/${part}.ts (its migrations queue ${own.join(", ")})`);
    }
  }
  for (const file of templates.filter((f) => !["index.ts", "shared.ts"].includes(f))) {
    if (!parts.includes(file.replace(/\.ts$/, ""))) {
      problems.push(`functions/_shared/email/templates/${file}: named for no part`);
    }
  }
  return problems;
}
