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
  return {
    apiPort: Number(api.port ?? 54321),
    dbPort: Number(db.port ?? 54322),
    mailWebPort: Number(smtp.port ?? 54324),
    mailSmtpPort: Number(smtp.smtp_port ?? 54325),
    schemas: Array.isArray(api.schemas) ? api.schemas.map(String) : ["public"],
    jwtExpiry: Number(auth.jwt_expiry ?? 3600),
    functions,
  };
}
