import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: several files drain the one email outbox and assert what it holds.
    fileParallelism: false,
    setupFiles: ["tests/helpers/setup.ts"],
  },
});
