/**
 * supabase/config.toml is valid for the Supabase CLI itself (it refuses a bad key, type or missing
 * template before doing anything), and carries the production Auth settings `supabase config push`
 * sends: sessions, Auth's email templates in both languages, OAuth providers and SMTP from the
 * environment.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { cliEnv } from "../../scripts/lib/cluster.ts";
import { bin, root } from "../../scripts/lib/paths.ts";
import { run } from "../../scripts/lib/proc.ts";
import { testEnv } from "../helpers/env.ts";

type Table = Record<string, unknown>;
const config = parse(readFileSync(join(root, "supabase", "config.toml"), "utf8")) as Table;
const at = (path: string): unknown =>
  path.split(".").reduce<unknown>((node, key) => (node as Table | undefined)?.[key], config);

describe("supabase/config.toml", () => {
  it("passes the Supabase CLI's own validation", async () => {
    const result = await run(bin("supabase"), ["migration", "list", `--remote=${testEnv.dbUrl}`, "--workdir", root], {
      env: cliEnv(),
    });
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it("sets Auth for production: sessions, refresh rotation, password rules, MFA, the token hook", () => {
    expect(at("auth.sessions.timebox")).toBe("168h");
    expect(at("auth.sessions.inactivity_timeout")).toBe("24h");
    expect(at("auth.enable_refresh_token_rotation")).toBe(true);
    expect(at("auth.minimum_password_length")).toBeGreaterThanOrEqual(10);
    expect(at("auth.mfa.totp.enroll_enabled")).toBe(true);
    expect(at("auth.hook.custom_access_token.enabled")).toBe(true);
  });

  it("has Auth's six emails in our style, in English and German", () => {
    for (const name of ["confirmation", "recovery", "magic_link", "invite", "email_change", "reauthentication"]) {
      const path = at(`auth.email.template.${name}.content_path`) as string;
      const html = readFileSync(join(root, path), "utf8");
      expect(html, name).toContain('{{ if eq .Data.locale "de" }}');
      expect(html, name).toMatch(/\{\{ \.(ConfirmationURL|Token) \}\}/);
    }
  });

  it("keeps secrets out: OAuth and SMTP credentials only as env(...)", () => {
    for (const provider of ["google", "github", "azure"]) {
      expect(at(`auth.external.${provider}.secret`)).toMatch(/^env\(/);
      expect(at(`remotes.production.auth.external.${provider}.enabled`)).toBe(true);
    }
    expect(at("remotes.production.auth.site_url")).toBe("env(SITE_URL)");
    expect(at("remotes.production.auth.email.smtp.pass")).toBe("env(AUTH_SMTP_PASS)");
    const text = readFileSync(join(root, "supabase", "config.toml"), "utf8");
    expect(text).not.toMatch(/(secret|pass|api_key)\s*=\s*"(?!env\()[^"]+"/);
  });
});
