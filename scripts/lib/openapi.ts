/**
 * openapi.json: one OpenAPI 3.1 document for every function, built from their route tables
 * (functions/<name>/routes.ts export a FunctionApp), formatted like the rest of the tree, and
 * validated against the OpenAPI 3.1 schema by a maintained validator.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { Validator } from "@seriousme/openapi-schema-validator";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FunctionApp } from "../../functions/_shared/app.ts";
import { bin, root } from "./paths.ts";
import { run } from "./proc.ts";
import { FatalError } from "./log.ts";

export const OPENAPI_PATH = join(root, "functions", "openapi.json");

/** Every function's FunctionApp, in folder order. */
export async function functionApps(): Promise<FunctionApp<object>[]> {
  const apps: FunctionApp<object>[] = [];
  const folders = readdirSync(join(root, "functions"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_")).map((d) => d.name).sort();
  for (const folder of folders) {
    const module = await import(pathToFileURL(join(root, "functions", folder, "routes.ts")).href) as Record<
      string,
      unknown
    >;
    const found = Object.values(module).filter((v): v is FunctionApp<object> => v instanceof FunctionApp);
    if (found.length !== 1) throw new FatalError(`functions/${folder}/routes.ts must export one FunctionApp`);
    if (found[0]!.spec.name !== folder) {
      throw new FatalError(`functions/${folder}/routes.ts names its function ${found[0]!.spec.name}, not ${folder}`);
    }
    apps.push(found[0]!);
  }
  return apps;
}

/** The document, as committed: generated, then formatted by deno fmt. */
export async function generateOpenApi(): Promise<string> {
  const apps = await functionApps();
  const all = new OpenAPIHono();
  for (const app of apps) all.route(`/${app.spec.name}`, app.app);
  all.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A Supabase Auth access token (a signed-in user), or the anon or service role key where a route says so",
  });
  all.openAPIRegistry.registerComponent("securitySchemes", "dispatchSecret", {
    type: "apiKey",
    in: "header",
    name: "x-dispatch-secret",
    description: "The scheduler's shared secret (DISPATCH_SECRET), sent by pg_cron and the native waker",
  });
  all.openAPIRegistry.registerComponent("securitySchemes", "svixSignature", {
    type: "apiKey",
    in: "header",
    name: "svix-signature",
    description: "The email provider's Svix signature over svix-id, svix-timestamp and the raw body",
  });
  const document = all.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Groundwork functions",
      version: "0.1.0",
      description:
        "The edge functions of Groundwork. Tables and RPCs are served by PostgREST (supabase-js); these routes do what a client should not do alone. Every error has one shape: { error: { code, message, details } }.",
    },
    servers: [{ url: "/functions/v1", description: "This project's functions (npm start: http://127.0.0.1:54321)" }],
    tags: apps.map((app) => ({ name: app.spec.name, description: app.spec.description })),
  });
  const formatted = await run(bin("deno"), ["fmt", "--ext", "json", "-"], {
    cwd: root,
    input: JSON.stringify(document),
  });
  if (formatted.code !== 0) throw new FatalError(`deno fmt could not format openapi.json: ${formatted.stderr.trim()}`);
  return formatted.stdout;
}

/** The validator's complaints about a document (none when it is valid OpenAPI 3.1). */
export async function validateOpenApi(text: string): Promise<string[]> {
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(text));
  if (result.valid) return [];
  return (Array.isArray(result.errors) ? result.errors : [result.errors]).map((e) => JSON.stringify(e));
}
