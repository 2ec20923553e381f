/**
 * Every spec file in this folder — core.ts and one per module (tests/isolation/specs/<module>.ts) —
 * gathered into the matrix. A new table without a spec fails the matrix; a new module's file is
 * picked up by its name, nothing here changes.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { MatrixWorld, TableSpec } from "./helpers.ts";

export { buildWorld, type MatrixWorld } from "./helpers.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const files = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "helpers.ts").sort();

export const specs: TableSpec<MatrixWorld>[] = [];
for (const file of files) {
  const module = await import(pathToFileURL(`${here}${file}`).href) as { specs?: TableSpec<MatrixWorld>[] };
  if (!module.specs) throw new Error(`tests/isolation/specs/${file} exports no specs`);
  specs.push(...module.specs);
}
