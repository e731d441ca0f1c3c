import { z } from "zod";

// Shapes every router of the aggregator's HTTP API shares: the error body (core/contracts/errors.ts,
// described for OpenAPI) and the transaction id of a path.

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retriable: z.boolean(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

const txId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "letters, digits and . _ : @ - only, starting with a letter or digit");

export const TransactionParamsSchema = z.strictObject({ transaction_id: txId });
