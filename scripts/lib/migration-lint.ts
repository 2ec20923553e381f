/**
 * The house style of migrations, checked on every migration added after the cutoff (landed
 * migrations are frozen): at most 400 lines, functions of at most 60 lines, each function followed by
 * its comment and its own grant (or revoke) statement, no grant naming several functions at once, no
 * identifier PostgreSQL would truncate (63 bytes), and the wide core functions (private.notify,
 * private.enqueue_email) called with named arguments.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./paths.ts";

/** Migrations up to this one predate the lint and stay as they landed. */
export const LINT_CUTOFF = "20261122110000";

const MAX_LINES = 400;
const MAX_FUNCTION_LINES = 60;

export function lintMigration(name: string, text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n");
  if (lines.length > MAX_LINES) {
    problems.push(`${name}: ${lines.length} lines (at most ${MAX_LINES}; split it by concern)`);
  }

  const functionStart = /^create (or replace )?function ([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)\s*\(/i;
  for (let i = 0; i < lines.length; i++) {
    const match = functionStart.exec(lines[i]!);
    if (!match) continue;
    const fn = match[2]!.toLowerCase();
    let end = i;
    while (end < lines.length && !/\$\$;\s*$/.test(lines[end]!)) end++;
    const length = end - i + 1;
    if (length > MAX_FUNCTION_LINES) {
      problems.push(`${name}:${i + 1}: ${fn} has ${length} lines (at most ${MAX_FUNCTION_LINES}; split it)`);
    }
    const next = lines.slice(end + 1).findIndex((l) => functionStart.test(l) || /^create table /i.test(l));
    const after = lines.slice(end + 1, next < 0 ? undefined : end + 1 + next).join("\n").toLowerCase();
    if (!after.includes(`comment on function ${fn}(`)) {
      problems.push(`${name}:${i + 1}: ${fn} has no comment on function after it`);
    }
    if (!new RegExp(`(grant|revoke) [a-z ,]*on function ${fn.replace(".", "\\.")}\\(`).test(after)) {
      problems.push(`${name}:${i + 1}: ${fn} has no grant or revoke of its own after it`);
    }
  }
  for (const [index, line] of lines.entries()) {
    if (/^\s*(grant|revoke)\b.*\bon function\b.*\),\s*[a-z_]+\.[a-z_]+\(/i.test(line)) {
      problems.push(`${name}:${index + 1}: one grant names several functions (grant each right after it is defined)`);
    }
    for (const quoted of line.matchAll(/"([^"]+)"/g)) {
      if (Buffer.byteLength(quoted[1]!) >= 63) {
        problems.push(
          `${name}:${index + 1}: "${quoted[1]}" is ${Buffer.byteLength(quoted[1]!)} bytes (PostgreSQL cuts at 63)`,
        );
      }
    }
  }
  for (const call of text.matchAll(/private\.(notify|enqueue_email)\s*\(/gi)) {
    const start = call.index! + call[0].length;
    let depth = 1;
    let end = start;
    while (end < text.length && depth > 0) {
      if (text[end] === "(") depth++;
      else if (text[end] === ")") depth--;
      end++;
    }
    const args = text.slice(start, end - 1);
    const line = text.slice(0, call.index!).split("\n").length;
    const isDefinition = /function\s+$/i.test(text.slice(Math.max(0, call.index! - 40), call.index!));
    if (!isDefinition && args.trim() !== "" && !args.includes("=>")) {
      problems.push(`${name}:${line}: call private.${call[1]} with named arguments (p_user_id => …)`);
    }
  }
  return problems;
}

/** Problems of every migration added after the cutoff. */
export function lintNewMigrations(dir = join(root, "supabase", "migrations")): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql") && f.slice(0, LINT_CUTOFF.length) > LINT_CUTOFF)
    .sort()
    .flatMap((f) => lintMigration(f, readFileSync(join(dir, f), "utf8")));
}
