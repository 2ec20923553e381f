/**
 * invitations: invite people to an organization and answer invitations.
 *
 *   POST /invitations               { org_id, email, role_id (id or key), department_id?, locale? }   invite → 201
 *   POST /invitations/accept        { token }                                             join as the invited user → 200
 *   POST /invitations/decline       { token }                                             decline (the token suffices) → 200
 *   POST /invitations/:id/resend    { locale? }                                           new token, old one dead → 200
 *   POST /invitations/:id/revoke                                                          → 200
 *   GET  /invitations?org_id=…&status=…&limit=…                                           the organization's (inviters)
 *   GET  /invitations/mine                                                                pending invitations to my verified email
 *
 * Every change and its email commit in one transaction run as the caller; the token is never
 * returned or stored, only sent.
 */
import { z } from "zod";
import { authenticate, type Claims } from "../_shared/auth.ts";
import { randomToken } from "../_shared/crypto.ts";
import { asCaller, callerRequest, type Tx } from "../_shared/db.ts";
import { BaseEnv, readEnv, runtimeEnv } from "../_shared/env.ts";
import { forbidden, notFound, unauthorized, unprocessable } from "../_shared/errors.ts";
import { createHandler, type Handler, json, readJson, readQuery, validate } from "../_shared/http.ts";
import { createRuntime, type Runtime } from "../_shared/runtime.ts";

const Locale = z.enum(["en", "de"]).default("en");
const Token = z.string().min(22).max(128).regex(/^[A-Za-z0-9_-]+$/, "must be the token from the invitation link");

export const InviteRequest = z.object({
  org_id: z.uuid(),
  email: z.email().max(320),
  /** The role's id, or its key within the organization ("member", "hr", a custom role's key). */
  role_id: z.union([
    z.uuid(),
    z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a role id or a role key such as member"),
  ]),
  department_id: z.uuid().nullable().optional(),
  locale: Locale,
}).strict();
export type InviteRequest = z.infer<typeof InviteRequest>;

export const TokenRequest = z.object({ token: Token }).strict();
export const ResendRequest = z.object({ locale: Locale }).strict();
export const ListQuery = z.object({
  org_id: z.uuid(),
  status: z.enum(["pending", "accepted", "declined", "revoked", "expired"]).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.iso.datetime({ offset: true }).optional(),
}).strict();

export const Invitation = z.object({
  id: z.string(),
  org_id: z.string(),
  email: z.string(),
  role_id: z.string(),
  department_id: z.string().nullable(),
  status: z.enum(["pending", "accepted", "declined", "revoked", "expired"]),
  expires_at: z.string(),
  invited_by: z.string().nullable(),
  resent_count: z.number(),
  last_sent_at: z.string(),
  responded_at: z.string().nullable(),
  created_at: z.string(),
});
export type Invitation = z.infer<typeof Invitation>;

const COLUMNS =
  "id, org_id, email, role_id, department_id, status, expires_at, invited_by, resent_count, last_sent_at, responded_at, created_at";

function present(row: Record<string, unknown>): Invitation {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v));
  return Invitation.parse({
    ...row,
    expires_at: iso(row.expires_at),
    last_sent_at: iso(row.last_sent_at),
    responded_at: iso(row.responded_at),
    created_at: iso(row.created_at),
  });
}

export const InvitationsEnv = BaseEnv.extend({ APP_URL: z.url().default("http://127.0.0.1:3000") });

export interface InvitationsDeps extends Runtime {
  acceptUrl: string;
}

export function createInvitationsHandler(deps: InvitationsDeps): Handler {
  return createHandler(
    { name: "invitations", methods: ["GET", "POST"], maxBodyBytes: 8 * 1024 },
    async (request, { url, requestId }) => {
      const claims = await authenticate(request, deps.verify);
      const segments = url.pathname.split("/").filter(Boolean);
      const at = segments.lastIndexOf("invitations");
      const [first, second, ...rest] = at >= 0 ? segments.slice(at + 1) : segments;
      if (rest.length > 0) throw notFound(`Nothing is served at ${url.pathname}`);
      const run = <T>(who: Claims, fn: (tx: Tx) => Promise<T>) =>
        asCaller(deps.sql, who, fn, callerRequest(request, requestId));
      const signedIn = () => {
        if (claims.role !== "authenticated") throw unauthorized("Cannot use invitations: sign in first");
        return claims;
      };

      if (request.method === "GET") {
        if (first === "mine" && !second) {
          const me = signedIn();
          const rows = await run(me, (tx) =>
            tx.unsafe(
              `select ${COLUMNS} from public.invitations where email = private.verified_email() and status = 'pending' and expires_at > now() order by created_at desc`,
            ));
          return json({ invitations: rows.map(present) });
        }
        if (first === undefined) {
          const query = readQuery(url, ListQuery);
          const me = signedIn();
          const rows = await run(me, async (tx) => {
            const [{ allowed }] =
              await tx`select private.has_permission(${query.org_id}, 'core.members.invite', 'org') as allowed` as unknown as [
                { allowed: boolean },
              ];
            if (!allowed) throw forbidden("Cannot list invitations: you need core.members.invite in this organization");
            return tx`
          select ${tx.unsafe(COLUMNS)} from public.invitations
          where org_id = ${query.org_id}
            and (${query.status ?? null}::public.invitation_status is null or status = ${
              query.status ?? null
            }::public.invitation_status)
            and (${query.before ?? null}::timestamptz is null or created_at < ${query.before ?? null}::timestamptz)
          order by created_at desc limit ${query.limit}`;
          });
          return json({ invitations: rows.map(present) });
        }
        throw notFound(`Nothing is served at ${url.pathname}`);
      }

      if (first === undefined) {
        const body = await readJson(request, InviteRequest);
        const me = signedIn();
        const [row] = await run(me, async (tx) => {
          const roleId = z.uuid().safeParse(body.role_id).success
            ? body.role_id
            : (await tx`select id from public.roles where org_id = ${body.org_id} and key = ${body.role_id}`)[0]?.id;
          if (!roleId) throw unprocessable(`Cannot invite: there is no role ${body.role_id} in this organization`);
          return tx`
          select ${tx.unsafe(COLUMNS)} from private.invite_member(${body.org_id}, ${body.email}, ${roleId},
            ${body.department_id ?? null}, ${randomToken()}, ${deps.acceptUrl}, ${body.locale})`;
        });
        return json({ invitation: present(row!) }, { status: 201 });
      }
      if (first === "accept" && !second) {
        const { token } = await readJson(request, TokenRequest);
        const me = signedIn();
        const [member] = await run(
          me,
          (tx) =>
            tx`select id, org_id, user_id, role_id, department_id, status from private.accept_invitation(${token})`,
        );
        return json({ member });
      }
      if (first === "decline" && !second) {
        const { token } = await readJson(request, TokenRequest);
        // The token proves the address; declining needs no account, so it runs as the service role.
        const service: Claims = { role: "service_role", exp: Math.floor(Date.now() / 1000) + 60 };
        const [row] = await run(
          service,
          (tx) => tx`select ${tx.unsafe(COLUMNS)} from private.decline_invitation(${token})`,
        );
        return json({ invitation: present(row!) });
      }
      const id = validate(z.uuid(), first, "invitation id");
      if (second === "resend") {
        const hasBody = (request.headers.get("content-length") ?? "0") !== "0";
        const { locale } = hasBody ? await readJson(request, ResendRequest) : ResendRequest.parse({});
        const me = signedIn();
        const [row] = await run(me, (tx) =>
          tx`
        select ${
            tx.unsafe(COLUMNS)
          } from private.resend_invitation(${id}, ${randomToken()}, ${deps.acceptUrl}, ${locale})`);
        return json({ invitation: present(row!) });
      }
      if (second === "revoke") {
        const me = signedIn();
        const [row] = await run(me, (tx) => tx`select ${tx.unsafe(COLUMNS)} from private.revoke_invitation(${id})`);
        return json({ invitation: present(row!) });
      }
      throw notFound(`Nothing is served at ${url.pathname}`);
    },
  );
}

function fromEnv(): InvitationsDeps {
  const env = readEnv(InvitationsEnv, runtimeEnv(), "function invitations");
  return { ...createRuntime("invitations"), acceptUrl: new URL("/invitations/accept", env.APP_URL).toString() };
}

export const handler: Handler = createInvitationsHandler(fromEnv());
