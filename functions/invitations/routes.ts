/**
 * invitations: invite people to an organization and answer invitations. Every change and its
 * email commit in one transaction run as the caller; the token is never returned or stored, only
 * sent.
 */
import { z } from "zod";
import { asRequestCaller, type Ctx, defineRoute, FunctionApp } from "../_shared/app.ts";
import { serviceClaims } from "../_shared/auth.ts";
import { randomToken } from "../_shared/crypto.ts";
import { forbidden, unprocessable } from "../_shared/errors.ts";
import { isoOrNull, json } from "../_shared/http.ts";
import type { Runtime } from "../_shared/runtime.ts";
import {
  Invitation,
  InvitationAnswer,
  InvitationId,
  InvitationList,
  InviteRequest,
  ListQuery,
  Member,
  ResendRequest,
  TokenRequest,
} from "./schemas.ts";

export { Invitation, InviteRequest };

const COLUMNS =
  "id, org_id, email, role_id, department_id, status, expires_at, invited_by, resent_count, last_sent_at, responded_at, created_at";

function present(row: Record<string, unknown>): Invitation {
  return Invitation.parse({
    ...row,
    expires_at: isoOrNull(row.expires_at),
    last_sent_at: isoOrNull(row.last_sent_at),
    responded_at: isoOrNull(row.responded_at),
    created_at: isoOrNull(row.created_at),
  });
}

export interface InvitationsDeps extends Runtime {
  acceptUrl: string;
}
type C = Ctx<InvitationsDeps>;
type Id = { params: z.output<typeof InvitationId> };

export const routes = {
  invite: defineRoute({
    name: "invite",
    method: "post",
    path: "/",
    summary: "Invite someone to an organization (the email is queued in the same transaction)",
    access: "user",
    body: InviteRequest,
    responses: { 201: { description: "Invited", schema: InvitationAnswer } },
  }),
  listInvitations: defineRoute({
    name: "listInvitations",
    method: "get",
    path: "/",
    summary: "An organization's invitations, newest first (needs core.members.invite)",
    access: "user",
    query: ListQuery,
    responses: { 200: { description: "The invitations", schema: InvitationList } },
  }),
  myInvitations: defineRoute({
    name: "myInvitations",
    method: "get",
    path: "/mine",
    summary: "Pending invitations to my verified email",
    access: "user",
    responses: { 200: { description: "The invitations", schema: InvitationList } },
  }),
  acceptInvitation: defineRoute({
    name: "acceptInvitation",
    method: "post",
    path: "/accept",
    summary: "Join the organization as the invited user",
    access: "user",
    body: TokenRequest,
    responses: { 200: { description: "The new membership", schema: z.object({ member: Member }) } },
  }),
  declineInvitation: defineRoute({
    name: "declineInvitation",
    method: "post",
    path: "/decline",
    summary: "Decline an invitation (the token suffices; the anon key is enough)",
    access: "jwt",
    body: TokenRequest,
    responses: { 200: { description: "Declined", schema: InvitationAnswer } },
  }),
  resendInvitation: defineRoute({
    name: "resendInvitation",
    method: "post",
    path: "/{id}/resend",
    summary: "Send a new token (the old one stops working)",
    access: "user",
    params: InvitationId,
    body: ResendRequest,
    bodyRequired: false,
    responses: { 200: { description: "Resent", schema: InvitationAnswer } },
  }),
  revokeInvitation: defineRoute({
    name: "revokeInvitation",
    method: "post",
    path: "/{id}/revoke",
    summary: "Revoke a pending invitation",
    access: "user",
    params: InvitationId,
    responses: { 200: { description: "Revoked", schema: InvitationAnswer } },
  }),
};

async function invite(c: C, { body }: { body: z.output<typeof InviteRequest> }): Promise<Response> {
  const [row] = await asRequestCaller(c, async (tx) => {
    const roleId = z.uuid().safeParse(body.role_id).success
      ? body.role_id
      : (await tx`select id from public.roles where org_id = ${body.org_id} and key = ${body.role_id}`)[0]?.id;
    if (!roleId) throw unprocessable(`Cannot invite: there is no role ${body.role_id} in this organization`);
    return tx`
      select ${tx.unsafe(COLUMNS)} from private.invite_member(${body.org_id}, ${body.email}, ${roleId},
        ${body.department_id ?? null}, ${randomToken()}, ${c.env.acceptUrl}, ${body.locale})`;
  });
  return json({ invitation: present(row!) }, { status: 201 });
}

async function listInvitations(c: C, { query }: { query: z.output<typeof ListQuery> }): Promise<Response> {
  const rows = await asRequestCaller(c, async (tx) => {
    const [{ allowed }] =
      await tx`select private.has_permission(${query.org_id}, 'core.members.invite', 'org') as allowed` as unknown as [
        { allowed: boolean },
      ];
    if (!allowed) throw forbidden("Cannot list invitations: you need core.members.invite in this organization");
    return tx`
      select ${tx.unsafe(COLUMNS)} from public.invitations
      where org_id = ${query.org_id}
        and (${query.status ?? null}::public.invitation_status is null
             or status = ${query.status ?? null}::public.invitation_status)
        and (${query.before ?? null}::timestamptz is null or created_at < ${query.before ?? null}::timestamptz)
      order by created_at desc limit ${query.limit}`;
  });
  return json({ invitations: rows.map(present) });
}

async function myInvitations(c: C): Promise<Response> {
  const rows = await asRequestCaller(c, (tx) =>
    tx.unsafe(
      `select ${COLUMNS} from public.invitations where email = private.verified_email() and status = 'pending' and expires_at > now() order by created_at desc`,
    ));
  return json({ invitations: rows.map(present) });
}

async function acceptInvitation(c: C, { body }: { body: z.output<typeof TokenRequest> }): Promise<Response> {
  const [member] = await asRequestCaller(
    c,
    (tx) =>
      tx`select id, org_id, user_id, role_id, department_id, status from private.accept_invitation(${body.token})`,
  );
  return json({ member });
}

async function declineInvitation(c: C, { body }: { body: z.output<typeof TokenRequest> }): Promise<Response> {
  // The token proves the address; declining needs no account, so it runs as the service role.
  const [row] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(COLUMNS)} from private.decline_invitation(${body.token})`,
    serviceClaims(),
  );
  return json({ invitation: present(row!) });
}

async function resendInvitation(
  c: C,
  { params, body }: Id & { body: z.output<typeof ResendRequest> },
): Promise<Response> {
  const [row] = await asRequestCaller(c, (tx) =>
    tx`select ${tx.unsafe(COLUMNS)}
       from private.resend_invitation(${params.id}, ${randomToken()}, ${c.env.acceptUrl}, ${body.locale})`);
  return json({ invitation: present(row!) });
}

async function revokeInvitation(c: C, { params }: Id): Promise<Response> {
  const [row] = await asRequestCaller(
    c,
    (tx) => tx`select ${tx.unsafe(COLUMNS)} from private.revoke_invitation(${params.id})`,
  );
  return json({ invitation: present(row!) });
}

export const invitations = new FunctionApp<InvitationsDeps>({
  name: "invitations",
  description: "Invitations to an organization: invite, resend, revoke, list, accept and decline.",
  maxBodyBytes: 8 * 1024,
})
  .route(routes.invite, invite)
  .route(routes.listInvitations, listInvitations)
  .route(routes.myInvitations, myInvitations)
  .route(routes.acceptInvitation, acceptInvitation)
  .route(routes.declineInvitation, declineInvitation)
  .route(routes.resendInvitation, resendInvitation)
  .route(routes.revokeInvitation, revokeInvitation);
