// Fails fast, with the fix, when vitest is run without the stack `npm test` provides.
import { testEnv } from "./env.ts";

void testEnv.dbUrl;
