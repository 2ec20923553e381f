/**
 * What `npm run module:new` writes holds up on the current schema: its migration passes the
 * migration lint and applies, its demo data loads, and its own pgTAP test passes — all in one
 * transaction that is rolled back (pg_prove, as npm test runs the rest).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintMigration } from "../../scripts/lib/migration-lint.ts";
import { doc, migration, type ModuleNames, pgtap, seed } from "../../scripts/lib/module-template.ts";
import { testEnv } from "../helpers/env.ts";

const names: ModuleNames = { module: "probe_module", table: "cases", version: "29991231000000", seedOrder: "90" };

describe("npm run module:new's template", () => {
  it("writes a migration the lint accepts", () => {
    expect(lintMigration(`${names.version}_probe_module_cases.sql`, migration(names))).toEqual([]);
  });

  it("applies, loads its demo data and passes its own pgTAP test, then leaves nothing behind", () => {
    const dir = mkdtempSync(join(tmpdir(), "groundwork-module-template-"));
    try {
      const test = pgtap(names).replace(/^begin;\n/m, `begin;\n${migration(names)}\n${seed(names)}\n`);
      const file = join(dir, "probe_module.test.sql");
      writeFileSync(file, test);
      const url = new URL(testEnv.dbUrl);
      const result = spawnSync("pg_prove", [
        "--dbname",
        url.pathname.slice(1),
        "--host",
        url.hostname,
        "--port",
        url.port,
        "--username",
        "postgres",
        "--failures",
        file,
      ], { encoding: "utf8", env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
      expect(`${result.stdout}${result.stderr}`).toMatch(/All tests successful/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const left = spawnSync("psql", [
      "-X",
      "-A",
      "-t",
      "-d",
      testEnv.dbUrl,
      "-c",
      "select to_regnamespace('probe_module')",
    ], {
      encoding: "utf8",
    });
    expect(left.stdout.trim()).toBe("");
  });

  it("writes a doc with every section of the template", () => {
    const headings = [...doc(names).matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      "Tables",
      "Roles and permissions",
      "State machines",
      "RPCs and function routes",
      "Emails",
      "Demo users",
      "Limits",
      "How it works",
    ]);
  });
});
