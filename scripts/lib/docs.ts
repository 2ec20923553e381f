/**
 * The generated parts of docs/: an entity diagram (Mermaid erDiagram, which GitHub renders), a
 * role × permission table and a table of RPCs, read from the database catalog, and a table of
 * function routes, read from the functions' route tables, so a doc never shows a shape the schema
 * or the API does not have. A doc asks for them with markers:
 *   <!-- generated:er tables="public.resources,public.bookings" --> … <!-- /generated -->
 *   <!-- generated:permissions prefixes="core.scheduling" --> … <!-- /generated -->
 *   <!-- generated:rpcs names="public.create_booking" --> … <!-- /generated -->
 *   <!-- generated:routes functions="scheduling" --> … <!-- /generated -->
 * `npm run docs` fills them in; `npm test` fails when one is stale.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type postgres from "postgres";
import { functionApps } from "./openapi.ts";
import { root } from "./paths.ts";

const MARKER =
  /<!-- generated:(er|permissions|rpcs|routes) (tables|prefixes|names|functions)="([^"]*)" -->\n[\s\S]*?<!-- \/generated -->/g;

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

/** The RPCs named, with their arguments, who may call them, and the first sentence of their comment. */
async function rpcTable(sql: postgres.Sql, names: string[]): Promise<string> {
  const rows = await sql<{ name: string; args: string; returns: string; callers: string; about: string | null }[]>`
    select n.nspname || '.' || p.proname as name, pg_get_function_identity_arguments(p.oid) as args,
      pg_get_function_result(p.oid) as returns,
      concat_ws(', ', case when has_function_privilege('anon', p.oid, 'execute') then 'anon' end,
        case when has_function_privilege('authenticated', p.oid, 'execute') then 'authenticated' end,
        case when has_function_privilege('service_role', p.oid, 'execute') then 'service_role' end) as callers,
      obj_description(p.oid, 'pg_proc') as about
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname || '.' || p.proname = any (${names}::text[])
    order by array_position(${names}::text[], n.nspname || '.' || p.proname), 2`;
  for (const name of names) {
    if (!rows.some((r) => r.name === name)) throw new Error(`Cannot list ${name}: no such function`);
  }
  const sentence = (text: string | null) => (text ?? "").split(/(?<=\.)\s/)[0]!.replace(/\|/g, "\\|");
  return [
    "| RPC (`supabase.rpc`) | returns | who may call | what |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| \`${r.name}(${r.args})\` | \`${r.returns.replace(/\|/g, "\\|")}\` | ${r.callers || "nobody"} | ${
        sentence(r.about)
      } |`
    ),
  ].join("\n");
}

const ACCESS: Record<string, string> = {
  user: "a signed-in user",
  jwt: "any valid JWT (the anon key too)",
  public: "anyone",
};

/** The routes of the named functions, from their route tables. */
async function routeTable(functions: string[]): Promise<string> {
  const apps = await functionApps();
  const lines = ["| route | who may call | what |", "| --- | --- | --- |"];
  for (const name of functions) {
    const app = apps.find((a) => a.spec.name === name);
    if (!app) throw new Error(`Cannot list the routes of ${name}: no such function`);
    for (const route of app.specs) {
      const path = `/${name}${route.path === "/" ? "" : route.path}`;
      const who = route.security?.includes("dispatchSecret")
        ? "the service role, or x-dispatch-secret"
        : route.security?.includes("svixSignature")
        ? "a Svix-signed webhook"
        : ACCESS[route.access];
      lines.push(`| \`${route.method.toUpperCase()} ${path}\` | ${who} | ${route.summary.replace(/\|/g, "\\|")} |`);
    }
  }
  return lines.join("\n");
}

async function renderPart(sql: postgres.Sql, kind: string, list: string[]): Promise<string> {
  if (kind === "er") return erDiagram(sql, list);
  if (kind === "permissions") return permissionTable(sql, list);
  if (kind === "rpcs") return rpcTable(sql, list);
  return routeTable(list);
}

/** A doc with every generated part rendered afresh from the database and the route tables. */
export async function renderDoc(sql: postgres.Sql, text: string): Promise<string> {
  const parts: { whole: string; rendered: string }[] = [];
  for (const match of text.matchAll(MARKER)) {
    const [whole, kind, attribute, value] = match as unknown as [string, string, string, string];
    const list = value.split(",").map((v) => v.trim()).filter(Boolean);
    const body = await renderPart(sql, kind, list);
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
  for (const match of text.matchAll(/functions\/v1\/([a-z][a-z0-9-]*)(?![a-z0-9-]|\.json)/g)) {
    if (!functions.has(match[1]!)) {
      problems.push({ file: where, problem: `names the function ${match[1]}, which does not exist` });
    }
  }
  problems.push(...await danglingRoutes(where, text));
  return problems;
}

export function readDoc(file: string): string {
  return readFileSync(file, "utf8");
}

/**
 * Function paths a doc names — `POST /scheduling/bookings`, `/functions/v1/documents/<id>/delete`,
 * `functions.invoke(\`scheduling/bookings/${id}/confirm\`)` — that no route of the function serves
 * (with the method, when the doc gives one). Placeholders (`${id}`, `:id`, `<id>`, `{id}`) match
 * any segment.
 */
export async function danglingRoutes(where: string, text: string): Promise<DocProblem[]> {
  const apps = await functionApps();
  const names = apps.map((a) => a.spec.name).sort((a, b) => b.length - a.length).join("|");
  const path = `(${names})((?:/[^\\s"'\`|),?]*)?)`;
  const mentions = [
    // POST /scheduling/bookings, POST scheduling/bookings/:id/respond, POST "$API/functions/v1/invitations"
    new RegExp(`\\b(GET|POST|PUT|PATCH|DELETE)\\s+"?(?:\\S*/functions/v1/|/)?${path}`, "g"),
    // http://127.0.0.1:54321/functions/v1/documents/<id>/delete
    new RegExp(`()/functions/v1/${path}`, "g"),
    // supabase.functions.invoke(`scheduling/bookings/${id}/confirm`, ...)
    new RegExp(`()invoke\\(["'\`]${path}`, "g"),
  ];
  const problems = new Map<string, DocProblem>();
  for (const mention of mentions) {
    for (const match of text.matchAll(mention)) {
      const [, method, name, rest] = match as unknown as [string, string, string, string | undefined];
      const route = (rest ?? "").replace(/\?.*$/, "").replace(/\$\{[^}]*\}|<[^>]*>|\{[^}]*\}|:[a-z_]+/g, "x")
        .replace(/\/+$/, "") || "/";
      if (name === "docs" && route === "/openapi.json") continue;
      const app = apps.find((a) => a.spec.name === name)!;
      if (app.routes.some((r) => r.pattern.test(route) && (!method || r.method === method))) continue;
      const said = `${method ? `${method} ` : ""}/${name}${route === "/" ? "" : route}`;
      problems.set(said, { file: where, problem: `names ${said}, which no route serves` });
    }
  }
  return [...problems.values()];
}
