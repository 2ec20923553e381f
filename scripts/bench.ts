/**
 * npm run bench: benchmarks on a throwaway cluster. Prints ratios measured side by side in one
 * run and writes them to bench/results/. Not part of npm test; targets live in the issues.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { type BenchResult, load, measure } from "../bench/core.ts";
import { measureAudit } from "../bench/audit.ts";
import { measureData } from "../bench/data.ts";
import { measureTransfers } from "../bench/transfers.ts";
import { measureOutbox } from "../bench/outbox.ts";
import { measureScheduling } from "../bench/scheduling.ts";
import { updateBenchDoc } from "./lib/benchdoc.ts";
import { ensurePackages } from "./lib/cluster.ts";
import { readConfig } from "./lib/config.ts";
import { done, runMain, step } from "./lib/log.ts";
import { root } from "./lib/paths.ts";
import { throwawayCluster } from "./lib/testdb.ts";

const SUITES = ["core", "audit", "outbox", "scheduling", "data"] as const;

function print(results: BenchResult[]): void {
  console.log("");
  console.log(`${"benchmark".padEnd(48)} ${"ratio".padStart(7)}  ${"target".padEnd(26)} result  detail`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(48)} ${r.value.toFixed(2).padStart(7)}  ${r.target.padEnd(26)} ${
        r.ok ? "met   " : "MISSED"
      }  ${r.detail}`,
    );
  }
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

function save(suite: string, results: BenchResult[], started: number): void {
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  const file = join(root, "bench", "results", `${suite}.json`);
  // The commit measured, and whether the work tree differed from it (outside the results and README).
  const commit = git(["rev-parse", "HEAD"]) || undefined;
  const dirty = git(["status", "--porcelain", "--", ".", ":!bench/results", ":!docs/benchmarks.md"]) !== "";
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        commit,
        dirty,
        durability: "durable",
        machine: { cpus: cpus().length, model: cpus()[0]?.model },
        seconds: Math.round((Date.now() - started) / 1000),
        results,
      },
      null,
      2,
    ) + "\n",
  );
  done(`Wrote ${file.replace(root + "/", "")}`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).length ? process.argv.slice(2) : [...SUITES];
  for (const suite of wanted) {
    if (!(SUITES as readonly string[]).includes(suite)) {
      throw new Error(`Unknown benchmark ${suite}: choose from ${SUITES.join(", ")}`);
    }
  }
  await ensurePackages();
  step("Building a throwaway database from the migrations");
  // Durable like a real database: fsync and synchronous commit on, so ratios include the cost of commits.
  const db = await throwawayCluster(readConfig().schemas, { seed: false, durability: "durable" });
  // Set-up and loading; every measured variant opens a connection of its own.
  const sql = postgres(db.cluster.url(), { max: 1, onnotice: () => {}, prepare: true });
  try {
    if (wanted.includes("outbox")) {
      const started = Date.now();
      const pool = postgres(db.cluster.url(), { max: 10, onnotice: () => {}, prepare: true });
      try {
        const results = await measureOutbox(pool, step);
        print(results);
        save("outbox", results, started);
      } finally {
        await pool.end();
      }
    }
    if (wanted.includes("scheduling")) {
      const started = Date.now();
      const pool = postgres(db.cluster.url(), { max: 70, onnotice: () => {}, prepare: true });
      try {
        await pool`create schema if not exists bench`;
        const results = await measureScheduling(pool, step);
        print(results);
        save("scheduling", results, started);
      } finally {
        await pool.end();
      }
    }
    if (wanted.includes("audit")) {
      const started = Date.now();
      const results = await measureAudit(sql, step, db.cluster.url());
      print(results);
      save("audit", results, started);
    }
    if (wanted.includes("data")) {
      const started = Date.now();
      const results = [...await measureData(sql, step, db.cluster.url()), ...await measureTransfers(sql, step)];
      print(results);
      save("data", results, started);
    }
    if (wanted.includes("core")) {
      const started = Date.now();
      await load(sql, step);
      const results = await measure(sql, step, db.cluster.url());
      print(results);
      save("core", results, started);
    }
  } finally {
    await sql.end();
    await db.dispose();
  }
  updateBenchDoc();
  done("Updated the benchmark table in docs/benchmarks.md from bench/results/");
}

runMain(main);
