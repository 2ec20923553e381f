/**
 * Every function is its route table: an unknown path answers 404 listing the function's routes, a
 * known path under another method answers 405 with Allow, and a function's routes module can be
 * imported without any environment (wiring lives in index.ts alone).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { functionApps } from "../../scripts/lib/openapi.ts";
import { bin, root } from "../../scripts/lib/paths.ts";

const apps = await functionApps();
const sample = (path: string) => path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");

describe.each(apps.map((app) => [app.spec.name, app] as const))("%s", (name, app) => {
  const handle = app.handler({} as never);

  it("answers an unknown path with 404 and its route list", async () => {
    const response = await handle(new Request(`http://local/functions/v1/${name}/no/such/route`));
    expect(response.status).toBe(404);
    const { error } = await response.json();
    expect(error.code).toBe("not_found");
    expect(error.details.routes).toEqual(app.listRoutes());
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it("answers every route under a method it does not take with 405 and Allow", async () => {
    for (const route of app.routes) {
      const path = `http://local/functions/v1/${name}${route.path === "/" ? "" : sample(route.path)}`;
      const response = await handle(new Request(path, { method: "PUT" }));
      expect(response.status, `PUT ${path}`).toBe(405);
      expect(response.headers.get("allow")?.split(", ")).toContain(route.method);
      expect(response.headers.get("allow")).toMatch(/OPTIONS$/);
    }
  });

  it("answers a CORS preflight on any path with 204", async () => {
    const response = await handle(new Request(`http://local/functions/v1/${name}/anything`, { method: "OPTIONS" }));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("wiring only in index.ts", () => {
  it("every routes.ts imports under Deno with an empty environment", () => {
    const folders = readdirSync(join(root, "functions"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith("_")).map((d) => d.name);
    const script = folders.map((f) => `await import("./functions/${f}/routes.ts");`).join("\n") +
      "\nconsole.log('imported', " + folders.length + ");";
    const result = spawnSync(bin("deno"), ["run", "--allow-read", "--no-prompt", "--ext=ts", "-"], {
      cwd: root,
      input: script,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DENO_DIR: process.env.DENO_DIR ?? "" },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(`imported ${folders.length}`);
  });
});
