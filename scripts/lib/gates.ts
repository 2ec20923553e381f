/**
 * Supabase's own checks, run by the Supabase CLI against a database URL: the advisors
 * (security and performance lints), the plpgsql linter and TypeScript type generation.
 */
import { bin, root } from "./paths.ts";
import { run } from "./proc.ts";
import { cliEnv, psql } from "./cluster.ts";
import { FatalError } from "./log.ts";

export interface AdvisorFinding {
  name: string;
  title: string;
  level: "INFO" | "WARN" | "ERROR";
  detail: string;
  metadata?: Record<string, unknown>;
}

/** Every advisor finding at any level, via `supabase db advisors --fail-on warn`. */
export async function advisorFindings(url: string): Promise<{ findings: AdvisorFinding[]; exitCode: number }> {
  const result = await run(bin("supabase"), [
    "db", "advisors", `--remote=${url}`, "--yes", "--type", "all", "--level", "info", "--fail-on", "warn", "--output-format", "json",
  ], { env: cliEnv(), cwd: root });
  const start = result.stdout.indexOf("{");
  if (start < 0) throw new FatalError(`supabase db advisors gave no JSON: ${result.stderr.trim() || result.stdout.trim()}`);
  const parsed = JSON.parse(result.stdout.slice(start)) as { results?: AdvisorFinding[] };
  return { findings: parsed.results ?? [], exitCode: result.code };
}

/**
 * The gate: no finding at WARN or ERROR (the CLI's --fail-on warn), and no unindexed foreign key
 * even though the advisors report those at INFO.
 */
export function advisorFailures(findings: AdvisorFinding[]): AdvisorFinding[] {
  return findings.filter((f) => f.level !== "INFO" || f.name === "unindexed_foreign_keys");
}

export function describeFindings(findings: AdvisorFinding[]): string {
  return findings.map((f) => `  [${f.level}] ${f.name}: ${f.detail}`).join("\n");
}

/** The schemas our migrations own (the ones worth linting). */
export async function ownSchemas(url: string): Promise<string[]> {
  const out = await psql(url, `
    select string_agg(nspname, ',' order by nspname) from pg_namespace
    where (nspowner = 'postgres'::regrole or nspname = 'public')
      and nspname not in ('supabase_migrations', 'tests')`);
  return out.split(",").filter(Boolean);
}

/** `supabase db lint --fail-on error` over our schemas: plpgsql_check on every function. */
export async function lint(url: string): Promise<{ ok: boolean; output: string }> {
  const schemas = await ownSchemas(url);
  const result = await run(bin("supabase"), [
    "db", "lint", `--remote=${url}`, "--yes", "--schema", schemas.join(","), "--fail-on", "error", "--level", "warning",
  ], { env: cliEnv(), cwd: root });
  return { ok: result.code === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** TypeScript types for the exposed schemas, from `supabase gen types typescript`, formatted. */
export async function generateTypes(url: string, schemas: string[]): Promise<string> {
  const result = await run(bin("supabase"), [
    "gen", "types", "typescript", `--remote=${url}`, "--yes", "--schema", schemas.join(","),
  ], { env: cliEnv(), cwd: root });
  if (result.code !== 0) throw new FatalError(`supabase gen types failed: ${result.stderr.trim()}`);
  const formatted = await run(bin("deno"), ["fmt", "--ext", "ts", "-"], { cwd: root, input: result.stdout });
  if (formatted.code !== 0) throw new FatalError(`deno fmt could not format the generated types: ${formatted.stderr.trim()}`);
  return formatted.stdout;
}
