/** The email-dispatch function's request and response shapes. */
import { z } from "zod";

export const DispatchRequest = z.object({
  batch_size: z.number().int().min(1).max(500).default(50),
  lease_seconds: z.number().int().min(1).max(900).default(120),
  max_batches: z.number().int().min(1).max(1000).default(20),
  concurrency: z.number().int().min(1).max(32).default(8),
}).strict();
export type DispatchRequest = z.infer<typeof DispatchRequest>;

export const DispatchResult = z.object({
  worker: z.string(),
  batches: z.number(),
  claimed: z.number(),
  sent: z.number(),
  retrying: z.number(),
  dead: z.number(),
  lease_lost: z.number(),
});
export type DispatchResult = z.infer<typeof DispatchResult>;
