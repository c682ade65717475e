import { v } from "convex/values";
import { internalMutation, internalQuery } from "./lib/functions";
import { applyResendEvent, getSuppression, isSuppressed as isAddressSuppressed } from "./model/suppressions";
import { emailSuppressionFields } from "./validators";

// The email suppression list (model/suppressions.ts). Internal only: the Resend webhook
// (http/resendWebhook.ts) applies verified events; the sending job asks isSuppressed before each
// recipient.

/** Applies one verified Resend webhook event, once per svix-id. */
export const applyEvent = internalMutation({
  args: {
    eventId: v.string(),
    type: v.string(),
    to: v.array(v.string()),
    emailId: v.optional(v.string()),
    bounceType: v.optional(v.string()),
    at: v.number(),
    deliveryId: v.optional(v.string()),
  },
  returns: v.union(v.literal("suppressed"), v.literal("ignored"), v.literal("duplicate")),
  handler: async (ctx, event) => await applyResendEvent(ctx, event),
});

/** Whether no email may go to `email` (a hard bounce or a spam complaint, from any site's send). */
export const isSuppressed = internalQuery({
  args: { email: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { email }) => await isAddressSuppressed(ctx, email),
});

/** The suppression row of an address, or null. */
export const get = internalQuery({
  args: { email: v.string() },
  returns: v.union(v.object({ _id: v.id("emailSuppressions"), _creationTime: v.number(), ...emailSuppressionFields }), v.null()),
  handler: async (ctx, { email }) => await getSuppression(ctx, email),
});
