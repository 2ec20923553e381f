/** Reads supabase/config.toml: the single source for ports, exposed schemas and functions. */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { root } from "./paths.ts";

export interface FunctionConfig {
  name: string;
  verifyJwt: boolean;
  /** Absolute path of the function's entrypoint (index.ts). */
  entrypoint: string;
}

export interface ProjectConfig {
  apiPort: number;
  dbPort: number;
  mailWebPort: number;
  mailSmtpPort: number;
  schemas: string[];
  jwtExpiry: number;
  functions: FunctionConfig[];
  /** [db.seed] sql_paths, relative to supabase/ (globs allowed). */
  seedPaths: string[];
}

type Table = Record<string, unknown>;

function table(value: unknown): Table {
  return value !== null && typeof value === "object" ? (value as Table) : {};
}

export function readConfig(path = join(root, "supabase", "config.toml")): ProjectConfig {
  const doc = parse(readFileSync(path, "utf8")) as Table;
  const api = table(doc.api);
  const db = table(doc.db);
  const smtp = table(doc.local_smtp);
  const auth = table(doc.auth);
  const functions = Object.entries(table(doc.functions))
    .filter(([, value]) => table(value).enabled !== false)
    .map(([name, value]): FunctionConfig => {
      const fn = table(value);
      const entrypoint = typeof fn.entrypoint === "string" ? fn.entrypoint : `./functions/${name}/index.ts`;
      return {
        name,
        verifyJwt: fn.verify_jwt !== false,
        entrypoint: resolve(root, "supabase", entrypoint),
      };
    });
  // GROUNDWORK_*_PORT override config.toml's ports, e.g. to run a second native stack beside the first.
  const port = (name: string, fallback: unknown) => Number(process.env[name] || fallback);
  return {
    apiPort: port("GROUNDWORK_API_PORT", api.port ?? 54321),
    dbPort: port("GROUNDWORK_DB_PORT", db.port ?? 54322),
    mailWebPort: port("GROUNDWORK_MAIL_WEB_PORT", smtp.port ?? 54324),
    mailSmtpPort: port("GROUNDWORK_MAIL_SMTP_PORT", smtp.smtp_port ?? 54325),
    schemas: Array.isArray(api.schemas) ? api.schemas.map(String) : ["public"],
    jwtExpiry: Number(auth.jwt_expiry ?? 3600),
    functions,
    seedPaths: Array.isArray(table(db.seed).sql_paths) ? (table(db.seed).sql_paths as unknown[]).map(String) : [],
  };
}
