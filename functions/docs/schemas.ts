/** The docs function's shapes. */
import { z } from "zod";

/** The files of the reference page: Swagger UI from the installed swagger-ui-dist, and our start-up script. */
export const ASSETS = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
  "favicon-32x32.png": { file: "favicon-32x32.png", type: "image/png" },
} as const;

export const AssetName = z.object({
  file: z.enum([...Object.keys(ASSETS) as (keyof typeof ASSETS)[], "init.js"]),
});

export const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});
