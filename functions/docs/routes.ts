/**
 * docs: the API document of every function (openapi.json, generated from the route tables by
 * `npm run openapi`) and a reference page to read and try it, Swagger UI served from the
 * installed swagger-ui-dist package (no CDN). The native gateway also answers
 * /functions/v1/openapi.json from here.
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { notFound } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import document from "../openapi.json" with { type: "json" };
import { AssetName, ASSETS, OpenApiDocument } from "./schemas.ts";

// deno-lint-ignore ban-types
export type DocsDeps = {};

const SWAGGER_UI = new URL("../../node_modules/swagger-ui-dist/", import.meta.url);
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

export const routes = {
  getReferencePage: defineRoute({
    name: "getReferencePage",
    method: "get",
    path: "/",
    summary: "The API reference page (Swagger UI) for every function",
    access: "public",
    responses: { 200: { description: "An HTML page", type: "text/html" } },
  }),
  getOpenApi: defineRoute({
    name: "getOpenApi",
    method: "get",
    path: "/openapi.json",
    summary: "The OpenAPI 3.1 document of every function, built from their route tables",
    access: "public",
    responses: { 200: { description: "The document", schema: OpenApiDocument } },
  }),
  getAsset: defineRoute({
    name: "getAsset",
    method: "get",
    path: "/assets/{file}",
    summary: "A file of the reference page (from the installed swagger-ui-dist package)",
    access: "public",
    params: AssetName,
    responses: { 200: { description: "The file", type: "application/octet-stream" } },
  }),
};

/** The page's addresses are relative to where it is served (/functions/v1/docs locally, /docs hosted). */
function base(c: Ctx<DocsDeps>): string {
  const path = new URL(c.req.url).pathname;
  return path.slice(0, path.indexOf("/docs") + "/docs".length);
}

async function getReferencePage(c: Ctx<DocsDeps>): Promise<Response> {
  const at = base(c);
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Groundwork API reference</title>
<link rel="icon" type="image/png" href="${at}/assets/favicon-32x32.png">
<link rel="stylesheet" href="${at}/assets/swagger-ui.css">
</head>
<body>
<div id="reference" data-spec="${at}/openapi.json"></div>
<script src="${at}/assets/swagger-ui-bundle.js"></script>
<script src="${at}/assets/init.js"></script>
</body>
</html>
`;
  return new Response(page, {
    headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_POLICY },
  });
}

async function getOpenApi(): Promise<Response> {
  return json(document, { headers: { "cache-control": "no-cache" } });
}

const INIT = `"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("reference");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    docExpansion: "list",
    tryItOutEnabled: false,
    persistAuthorization: true,
  });
});
`;

async function getAsset(_c: Ctx<DocsDeps>, { params }: { params: z.output<typeof AssetName> }): Promise<Response> {
  if (params.file === "init.js") {
    return new Response(INIT, { headers: { "content-type": "text/javascript; charset=utf-8" } });
  }
  const asset = ASSETS[params.file];
  let bytes: Uint8Array;
  try {
    bytes = await readFile(new URL(asset.file, SWAGGER_UI));
  } catch {
    throw notFound(`Cannot serve ${params.file}: swagger-ui-dist is not installed (npm install)`);
  }
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": asset.type, "cache-control": "public, max-age=3600" },
  });
}

export const docs = new FunctionApp<DocsDeps>({
  name: "docs",
  description: "The API document (OpenAPI 3.1) and its reference page.",
}).route(routes.getReferencePage, getReferencePage)
  .route(routes.getOpenApi, getOpenApi)
  .route(routes.getAsset, getAsset);
