/**
 * The generated parts of docs/: an entity diagram (Mermaid erDiagram, which GitHub renders) and a
 * role × permission table, both read from the database catalog, so a doc never shows a shape the
 * schema does not have. A doc asks for them with markers:
 *   <!-- generated:er tables="public.resources,public.bookings" --> … <!-- /generated -->
 *   <!-- generated:permissions prefixes="core.scheduling" --> … <!-- /generated -->
 * `npm run docs` fills them in; `npm test` fails when one is stale.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type postgres from "postgres";
import { root } from "./paths.ts";

const MARKER = /<!-- generated:(er|permissions) (tables|prefixes)="([^"]*)" -->\n[\s\S]*?<!-- \/generated -->/g;

export function docFiles(dir = join(root, "docs")): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return docFiles(path);
    return name.endsWith(".md") ? [path] : [];
  }).sort();
}

function mermaidType(udt: string): string {
  return udt.startsWith("_") ? `${udt.slice(1)}_array` : udt.replace(/[^A-Za-z0-9_]/g, "_");
}

async function erDiagram(sql: postgres.Sql, tables: string[]): Promise<string> {
  const columns = await sql<{ tbl: string; name: string; type: string; pk: boolean; fk: boolean }[]>`
    select c.oid::regclass::text as tbl, a.attname as name, t.typname as type,
      exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p' and a.attnum = any (k.conkey)) as pk,
      exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'f' and a.attnum = any (k.conkey)) as fk
    from pg_class c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    where c.oid = any (${tables}::regclass[])
    order by array_position(${tables}::regclass[], c.oid::regclass), a.attnum`;
  const links = await sql<{ child: string; parent: string; columns: string; optional: boolean }[]>`
    select k.conrelid::regclass::text as child, k.confrelid::regclass::text as parent,
      (select string_agg(a.attname, ', ' order by a.attnum) from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any (k.conkey)) as columns,
      exists (select 1 from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any (k.conkey) and not a.attnotnull) as optional
    from pg_constraint k
    where k.contype = 'f' and k.conrelid = any (${tables}::regclass[]) and k.confrelid = any (${tables}::regclass[]) and k.conrelid <> k.confrelid
    order by 1, 2, 3`;
  const entity = (name: string) => name.split(".").at(-1)!.replace(/"/g, "");
  const lines = ["```mermaid", "erDiagram"];
  for (const table of tables) {
    const own = columns.filter((c) => c.tbl === table || c.tbl === table.replace(/^public\./, ""));
    if (own.length === 0) throw new Error(`Cannot draw ${table}: no such table or view`);
    lines.push(`  ${entity(table)} {`);
    for (const c of own) lines.push(`    ${mermaidType(c.type)} ${c.name}${c.pk ? " PK" : c.fk ? " FK" : ""}`);
    lines.push("  }");
  }
  const seen = new Set<string>();
  for (const link of links) {
    const line = `  ${entity(link.parent)} ||--o{ ${entity(link.child)} : "${link.columns}"`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  lines.push("```");
  return lines.join("\n");
}

async function permissionTable(sql: postgres.Sql, prefixes: string[]): Promise<string> {
  const roles = await sql<{ key: string }[]>`select key from private.system_roles order by rank desc, key`;
  const permissions = await sql<{ key: string; description: string }[]>`
    select key, description from public.permissions
    where exists (select 1 from unnest(${prefixes}::text[]) p where key = p or key like p || '.%')
    order by key`;
  const grants = await sql<{ role_key: string; permission: string; scope: string }[]>`
    select role_key, permission, scope::text from private.system_role_grants`;
  const scope = (role: string, permission: string) =>
    grants.find((g) => g.role_key === role && g.permission === permission)?.scope ?? "";
  const lines = [
    `| permission | ${roles.map((r) => r.key).join(" | ")} |`,
    `| --- | ${roles.map(() => "---").join(" | ")} |`,
    ...permissions.map((p) =>
      `| \`${p.key}\` — ${p.description} | ${roles.map((r) => scope(r.key, p.key)).join(" | ")} |`
    ),
  ];
  return lines.join("\n");
}

/** A doc with every generated part rendered afresh from the database. */
export async function renderDoc(sql: postgres.Sql, text: string): Promise<string> {
  const parts: { whole: string; rendered: string }[] = [];
  for (const match of text.matchAll(MARKER)) {
    const [whole, kind, attribute, value] = match as unknown as [string, string, string, string];
    const list = value.split(",").map((v) => v.trim()).filter(Boolean);
    const body = kind === "er" ? await erDiagram(sql, list) : await permissionTable(sql, list);
    parts.push({ whole, rendered: `<!-- generated:${kind} ${attribute}="${value}" -->\n${body}\n<!-- /generated -->` });
  }
  return parts.reduce((doc, part) => doc.replace(part.whole, part.rendered), text);
}

export interface DocProblem {
  file: string;
  problem: string;
}

/** Names a doc uses that the database or the functions folder does not have. */
export async function danglingNames(sql: postgres.Sql, file: string, text: string): Promise<DocProblem[]> {
  const problems: DocProblem[] = [];
  const where = relative(root, file);
  // schema.name, not part of a longer dotted name (a permission key, supabase.auth.mfa) nor a quoted string.
  const names = new Set(
    [...text.matchAll(/(?<![\w./'"])(public|compliance|private|audit|storage|auth)\.([a-z_][a-z0-9_]*)(?![\w.'"])/g)]
      .map((m) => `${m[1]}.${m[2]}`),
  );
  for (const name of names) {
    const [found] = await sql<{ ok: boolean }[]>`
      select to_regclass(${name}) is not null
        or exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname || '.' || p.proname = ${name})
        or exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname || '.' || t.typname = ${name}) as ok`;
    if (!found?.ok) problems.push({ file: where, problem: `names ${name}, which does not exist` });
  }
  const functions = new Set(readdirSync(join(root, "functions")).filter((d) => !d.startsWith("_")));
  for (const match of text.matchAll(/functions\/v1\/([a-z][a-z0-9-]*)/g)) {
    if (!functions.has(match[1]!)) {
      problems.push({ file: where, problem: `names the function ${match[1]}, which does not exist` });
    }
  }
  return problems;
}

export function readDoc(file: string): string {
  return readFileSync(file, "utf8");
}
