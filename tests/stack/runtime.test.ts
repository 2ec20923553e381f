/**
 * The project runs on Node 24 (the `node` dev dependency, which `npm run` puts first on PATH), not
 * on whatever Node the machine has: a silent fallback to an older runtime fails here. supabase-js
 * of today builds a client, Realtime included, on Node's own WebSocket (no `ws` package).
 */
import { createClient } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import { testEnv } from "../helpers/env.ts";

describe("the runtime", () => {
  it("is Node 24", () => {
    expect(Number(process.versions.node.split(".")[0])).toBe(24);
  });

  it("builds a supabase-js client with Realtime on Node's own WebSocket", async () => {
    expect(typeof globalThis.WebSocket).toBe("function");
    const client = createClient(testEnv.apiUrl, "anon-key", { auth: { persistSession: false } });
    const channel = client.channel("runtime-probe");
    expect(channel.topic).toBe("realtime:runtime-probe");
    await client.removeChannel(channel);
  });
});
