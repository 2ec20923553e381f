/**
 * docs/ follows the schema: its generated parts (entity diagrams, role × permission tables) equal a
 * fresh rendering from the database (`npm run docs` regenerates them), every exposed schema has a
 * doc, and no doc names a table, function or edge function that does not exist.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../scripts/lib/config.ts";
import { danglingNames, docFiles, readDoc, renderDoc } from "../../scripts/lib/docs.ts";
import { functionApps } from "../../scripts/lib/openapi.ts";
import { root } from "../../scripts/lib/paths.ts";
import { testDb } from "../helpers/db.ts";

const sql = testDb();

describe("docs/", () => {
  it("has its generated diagrams and permission tables up to date (npm run docs)", async () => {
    const stale: string[] = [];
    for (const file of docFiles()) {
      const text = readDoc(file);
      if ((await renderDoc(sql, text)) !== text) stale.push(relative(root, file));
    }
    expect(stale, "run `npm run docs` and commit").toEqual([]);
  });

  it("documents every exposed schema: the core in docs/core/, each module in docs/modules/<schema>.md", () => {
    const schemas = readConfig().schemas.filter((s) => s !== "graphql_public");
    for (const schema of schemas) {
      const doc = schema === "public"
        ? join(root, "docs", "core", "tenancy.md")
        : join(root, "docs", "modules", `${schema}.md`);
      expect(existsSync(doc), `${schema} has no doc at ${relative(root, doc)}`).toBe(true);
    }
  });

  it("names only tables, functions and edge functions that exist", async () => {
    const problems = [];
    for (const file of [...docFiles(), join(root, "README.md")]) {
      problems.push(...await danglingNames(sql, file, readDoc(file)));
    }
    expect(problems).toEqual([]);
  });

  const partDocs = () => docFiles().filter((f) => /docs\/(core|modules)\//.test(f));
  const TEMPLATE = [
    "Tables",
    "Roles and permissions",
    "State machines",
    "RPCs and function routes",
    "Emails",
    "Demo users",
    "Limits",
  ];

  it("writes every core part and module from one template, opening with its entity diagram", () => {
    expect(partDocs().length).toBeGreaterThanOrEqual(9);
    for (const file of partDocs()) {
      const text = readDoc(file);
      const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(headings.slice(0, TEMPLATE.length), relative(root, file)).toEqual(TEMPLATE);
      expect(headings.slice(TEMPLATE.length).every((h) => h === "How it works"), relative(root, file)).toBe(true);
      expect(text, relative(root, file)).toMatch(/^# .+\n\n\S[^\n]*\n[\s\S]*?\n## Tables\n\n<!-- generated:er /);
    }
  });

  it("lists every function's routes in exactly one doc, generated from its route table", async () => {
    const listed = partDocs().flatMap((file) =>
      [...readDoc(file).matchAll(/<!-- generated:routes functions="([^"]*)" -->/g)].flatMap((m) => m[1]!.split(","))
    );
    const names = (await functionApps()).map((app) => app.spec.name);
    expect([...listed].sort()).toEqual([...names].sort());
  });
});
