/**
 * The migrations runner: `supabase migration up` through applyMigrations. A failing migration
 * stops with its file name and the Postgres error, and leaves nothing of itself behind.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../scripts/lib/cluster.ts";
import { FatalError } from "../../scripts/lib/log.ts";
import { root } from "../../scripts/lib/paths.ts";
import { testEnv } from "../helpers/env.ts";

const database = `migrations_${process.pid}_${Date.now()}`;
let admin: postgres.Sql;
let db: postgres.Sql;
let workdir: string;
let url: string;

function migration(name: string, sql: string): void {
  writeFileSync(join(workdir, "supabase", "migrations", name), sql);
}

beforeAll(async () => {
  admin = postgres(testEnv.adminDbUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${database} owner postgres`);
  url = testEnv.dbUrl.replace(/\/postgres$/, `/${database}`);
  db = postgres(url, { max: 1, onnotice: () => {} });
  workdir = mkdtempSync(join(tmpdir(), "groundwork-migrations-"));
  mkdirSync(join(workdir, "supabase", "migrations"), { recursive: true });
  copyFileSync(join(root, "supabase", "config.toml"), join(workdir, "supabase", "config.toml"));
  // The config names Auth's email templates by path; the CLI checks they exist.
  cpSync(join(root, "supabase", "templates"), join(workdir, "supabase", "templates"), { recursive: true });
});

afterAll(async () => {
  await db?.end();
  await admin?.unsafe(`drop database if exists ${database} with (force)`);
  await admin?.end();
  rmSync(workdir, { recursive: true, force: true });
});

describe("applyMigrations", () => {
  it("applies migrations in order and records them as the CLI does", async () => {
    migration("20250101000000_probe_first.sql", "create table public.first_probe (id int primary key);");
    await applyMigrations(url, workdir);
    const rows = await db`select version, name from supabase_migrations.schema_migrations order by version`;
    expect(rows).toEqual([{ version: "20250101000000", name: "probe_first" }]);
  });

  it("stops at a failing migration with its file name and the Postgres error, applying nothing of it", async () => {
    migration(
      "20250101000001_probe_broken.sql",
      [
        "create table public.half_applied (id int primary key);",
        "insert into public.half_applied values (1);",
        "select 1/0;",
      ].join("\n"),
    );
    migration("20250101000002_probe_after.sql", "create table public.after_probe (id int primary key);");
    const error = await applyMigrations(url, workdir).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(FatalError);
    const message = (error as Error).message;
    expect(message).toContain("20250101000001_probe_broken.sql");
    expect(message).toContain("division by zero");
    expect(message).toContain("SQLSTATE 22012");
    expect(message).toContain("Nothing of it was applied");
    const [tables] =
      await db`select to_regclass('public.half_applied') as half, to_regclass('public.after_probe') as after`;
    expect(tables).toEqual({ half: null, after: null });
    const versions = await db`select version from supabase_migrations.schema_migrations order by version`;
    expect(versions.map((r) => r.version)).toEqual(["20250101000000"]);
  });

  it("goes on from the fixed migration once it is corrected", async () => {
    migration("20250101000001_probe_broken.sql", "create table public.half_applied (id int primary key);");
    await applyMigrations(url, workdir);
    const versions = await db`select version from supabase_migrations.schema_migrations order by version`;
    expect(versions.map((r) => r.version)).toEqual(["20250101000000", "20250101000001", "20250101000002"]);
  });

  it("fails clearly when the database cannot be reached", async () => {
    const error = await applyMigrations("postgresql://postgres:postgres@127.0.0.1:1/postgres", workdir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).toMatch(/failed/);
  });
});
