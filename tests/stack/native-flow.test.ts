/**
 * The native invitation flow of docs/native-stack.md, run exactly as written (the shell block between
 * native-flow:begin and native-flow:end) against the test stack: invite with the demo admin's
 * token, read the link from the mail catcher, create the invitee with npm run user, accept with
 * their token, and find them a member with npm run sql. The native stack's waker dispatches mail
 * on commit, as under npm start (in this process, so the script runs asynchronously beside it).
 */

function bash(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/lib/paths.ts";
import { startWaker } from "../../scripts/lib/waker.ts";
import { testEnv } from "../helpers/env.ts";

function readmeBlock(): string {
  const readme = readFileSync(join(root, "docs", "native-stack.md"), "utf8");
  const block = /<!-- native-flow:begin -->\n```sh\n([\s\S]*?)```\n<!-- native-flow:end -->/.exec(readme);
  if (!block) throw new Error("docs/native-stack.md has no native-flow block");
  return block[1]!;
}

describe("the documented native invitation flow", () => {
  it("invites, mails, creates the invitee, accepts, and shows the membership", async () => {
    const waker = await startWaker({
      dbUrl: testEnv.dbUrl,
      dispatchUrl: `${testEnv.apiUrl}/functions/v1/email-dispatch`,
      secret: process.env.DISPATCH_SECRET!,
      log: () => {},
    });
    try {
      await waker.idle();
      const result = await bash(readmeBlock(), {
        ...process.env,
        API: testEnv.apiUrl,
        MAIL: testEnv.mailUrl,
        SUPABASE_DB_URL: testEnv.dbUrl,
      });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      const output = result.stdout;
      expect(output).toContain('"status":"pending"');
      expect(output).toMatch(/"member":\{"id":"[0-9a-f-]{36}"/);
      const [membership] = JSON.parse(output.slice(output.lastIndexOf("\n[") + 1)) as {
        organization: string;
        role: string;
      }[];
      expect(membership).toEqual({ organization: "Acme Corp", role: "member" });
    } finally {
      await waker.stop();
    }
  }, 200_000);
});
