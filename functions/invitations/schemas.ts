/** The invitations function's request and response shapes. */
import { z } from "zod";

const Locale = z.enum(["en", "de"]).default("en");
const Token = z.string().min(22).max(128).regex(/^[A-Za-z0-9_-]+$/, "must be the token from the invitation link");
const Status = z.enum(["pending", "accepted", "declined", "revoked", "expired"]);

export const InviteRequest = z.object({
  org_id: z.uuid(),
  email: z.email().max(320),
  /** The role's id, or its key within the organization ("member", "hr", a custom role's key). */
  role_id: z.union([
    z.uuid(),
    z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a role id or a role key such as member"),
  ]).describe("The role's id, or its key in the organization (member, hr, a custom role's key)"),
  department_id: z.uuid().nullable().optional(),
  locale: Locale,
}).strict();
export type InviteRequest = z.infer<typeof InviteRequest>;

export const TokenRequest = z.object({ token: Token }).strict();
export const ResendRequest = z.object({ locale: Locale }).strict();
export const ListQuery = z.object({
  org_id: z.uuid(),
  status: Status.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.iso.datetime({ offset: true }).optional(),
}).strict();
export const InvitationId = z.object({ id: z.uuid() });

export const Invitation = z.object({
  id: z.string(),
  org_id: z.string(),
  email: z.string(),
  role_id: z.string(),
  department_id: z.string().nullable(),
  status: Status,
  expires_at: z.string(),
  invited_by: z.string().nullable(),
  resent_count: z.number(),
  last_sent_at: z.string(),
  responded_at: z.string().nullable(),
  created_at: z.string(),
});
export type Invitation = z.infer<typeof Invitation>;
export const InvitationAnswer = z.object({ invitation: Invitation });
export const InvitationList = z.object({ invitations: z.array(Invitation) });

export const Member = z.object({
  id: z.uuid(),
  org_id: z.uuid(),
  user_id: z.uuid(),
  role_id: z.uuid(),
  department_id: z.uuid().nullable(),
  status: z.string(),
});
