/**
 * Every part of Groundwork — the core and each module (an exposed schema) — is found in the same
 * places under its name (scripts/lib/layout.ts says where), and no file is named for no part.
 */
import { describe, expect, it } from "vitest";
import { layoutProblems, modules } from "../../scripts/lib/layout.ts";

describe("the module layout", () => {
  it("knows the modules from the exposed schemas", () => {
    expect(modules()).toContain("compliance");
  });

  it("finds the core and every module in each of its places", () => {
    expect(layoutProblems()).toEqual([]);
  });
});
