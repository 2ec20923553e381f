/** npm run openapi: writes functions/openapi.json from the functions' route tables, validated. */
import { writeFileSync } from "node:fs";
import { done, FatalError, runMain } from "./lib/log.ts";
import { generateOpenApi, OPENAPI_PATH, validateOpenApi } from "./lib/openapi.ts";

runMain(async () => {
  const text = await generateOpenApi();
  const problems = await validateOpenApi(text);
  if (problems.length > 0) {
    throw new FatalError(`the generated document is not valid OpenAPI 3.1:\n${problems.join("\n")}`);
  }
  writeFileSync(OPENAPI_PATH, text);
  const paths = Object.keys(JSON.parse(text).paths).length;
  done(`functions/openapi.json: ${paths} paths, valid OpenAPI 3.1`);
});
