/**
 * The API document and its reference page: openapi.json is served as committed, covers every
 * route of every function's table, and the page renders it in a real headless Chromium (the
 * Debian package) with every route listed and no console error.
 */
import { readFileSync } from "node:fs";
import puppeteer, { type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docs } from "../../functions/docs/routes.ts";
import { functionApps } from "../../scripts/lib/openapi.ts";
import { testEnv } from "../helpers/env.ts";

const committed = JSON.parse(readFileSync(new URL("../../functions/openapi.json", import.meta.url), "utf8"));
const operations = Object.entries(committed.paths as Record<string, Record<string, unknown>>)
  .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)).sort();
const handle = docs.handler({});

describe("openapi.json", () => {
  it("lists exactly the routes of every function's table", async () => {
    const fromTables = (await functionApps()).flatMap((app) => app.listRoutes()).sort();
    expect(operations).toEqual(fromTables);
    expect(operations.length).toBeGreaterThan(20);
  });

  it("is served by the docs function, and at /functions/v1/openapi.json by the gateway", async () => {
    const inProcess = await handle(new Request("http://local/functions/v1/docs/openapi.json"));
    expect(inProcess.status).toBe(200);
    expect(await inProcess.json()).toEqual(committed);
    const overHttp = await fetch(`${testEnv.apiUrl}/functions/v1/openapi.json`);
    expect(overHttp.status).toBe(200);
    expect(await overHttp.json()).toEqual(committed);
  });

  it("serves the page's files from the installed package and nothing else", async () => {
    const css = await handle(new Request("http://local/functions/v1/docs/assets/swagger-ui.css"));
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
    const other = await handle(new Request("http://local/functions/v1/docs/assets/..%2F..%2Fpackage.json"));
    expect(other.status).toBe(422);
    const page = await handle(new Request("http://local/functions/v1/docs"));
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(await page.text()).not.toMatch(/https?:\/\//);
  });
});

describe("the reference page in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
  }, 60_000);
  afterAll(() => browser?.close());

  it("renders, lists every route, and logs no console error", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(String(error)));
    page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));
    const outside: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(testEnv.apiUrl) && !request.url().startsWith("data:")) outside.push(request.url());
    });
    const response = await page.goto(`${testEnv.apiUrl}/functions/v1/docs`, { waitUntil: "networkidle0" });
    expect(response?.status()).toBe(200);
    await page.waitForFunction(
      (n: number) => document.querySelectorAll(".opblock").length >= n,
      { timeout: 30_000 },
      operations.length,
    );
    const listed = await page.$$eval(
      ".opblock",
      (blocks) =>
        blocks.map((b) =>
          `${b.querySelector(".opblock-summary-method")?.textContent?.trim()} ${
            b.querySelector(".opblock-summary-path")?.getAttribute("data-path")
          }`
        ),
    );
    expect(listed.sort()).toEqual(operations);
    expect(await page.title()).toBe("Groundwork API reference");
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
  }, 90_000);
});
