/** The documents-purge function's request and response shapes. */
import { z } from "zod";

export const PurgeRequest = z.object({ max_documents: z.number().int().min(1).max(1000).default(100) }).strict();
export const PurgeResult = z.object({
  purged: z.number().int(),
  failed: z.number().int(),
  errors: z.array(z.string()).describe("Why a document could not be purged (Storage's answer)"),
});
export type PurgeResult = z.infer<typeof PurgeResult>;
