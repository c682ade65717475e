import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from "../shared/constants";

// Reading Stripe webhook events: the raw JSON (already signature-checked by the webhook handler) is
// checked and reduced to the few facts Pressroom applies (parseStripeEvent), trimmed for storage
// (trimStripeEvent), and looked at for whether the customer's metadata is needed to place it.
// Applying them is stripeEvents.ts.

/** The metadata keys Pressroom puts on Stripe objects; every other key is dropped. */
export const OUR_METADATA_KEYS = ["siteId", "userId", "planId"] as const;
export type OurMetadata = Partial<Record<(typeof OUR_METADATA_KEYS)[number], string>>;

/** What applying an event did (stored on its stripeEvents row). */
export type ApplyOutcome = "applied" | "stale" | "ignored" | "duplicate";

interface EventBase {
  eventId: string;
  type: string;
  /** Event creation time in ms. */
  created: number;
}

export interface SubscriptionSnapshot {
  id: string;
  customerId?: string;
  status: SubscriptionStatus;
  currentPeriodStart?: number;
  currentPeriodEnd?: number;
  cancelAtPeriodEnd: boolean;
  canceledAt?: number;
  trialEnd?: number;
  priceId?: string;
  metadata: OurMetadata;
}

export interface InvoiceFacts {
  id: string;
  customerId?: string;
  subscriptionId?: string;
  amountPaid: number;
  amountDue: number;
  currency: string;
  billingReason?: string;
  periodStart?: number;
  periodEnd?: number;
  chargeId?: string;
  paidAt?: number;
  description?: string;
  priceId?: string;
  metadata: OurMetadata;
}

export interface ChargeFacts {
  id: string;
  customerId?: string;
  amount: number;
  amountRefunded: number;
  refunded: boolean;
  currency: string;
  invoiceId?: string;
  metadata: OurMetadata;
}

/** A Stripe event reduced to the facts Pressroom acts on. */
export type BillingEvent = EventBase &
  (
    | {
        kind: "checkout";
        session: { id: string; mode?: string; customerId?: string; subscriptionId?: string; clientReferenceId?: string; metadata: OurMetadata };
      }
    | { kind: "subscription"; deleted: boolean; subscription: SubscriptionSnapshot }
    | { kind: "invoice"; paid: boolean; invoice: InvoiceFacts }
    | { kind: "refund"; charge: ChargeFacts }
    | { kind: "other" }
  );

// --- parsing -------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const obj = (x: unknown): Json | undefined => (x && typeof x === "object" && !Array.isArray(x) ? (x as Json) : undefined);
const str = (x: unknown): string | undefined => (typeof x === "string" && x.length > 0 ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === "number" && Number.isFinite(x) ? x : undefined);
/** Stripe timestamps are seconds; ours are ms. */
const ms = (x: unknown): number | undefined => {
  const n = num(x);
  return n === undefined ? undefined : n * 1000;
};
/** An expandable field: the id string, or the expanded object's id. */
const idOf = (x: unknown): string | undefined => str(x) ?? str(obj(x)?.id);
const firstOf = (list: unknown): Json | undefined => {
  const data = obj(list)?.data;
  return Array.isArray(data) ? obj(data[0]) : undefined;
};

function ours(...sources: unknown[]): OurMetadata {
  const out: OurMetadata = {};
  for (const source of sources) {
    const m = obj(source);
    if (!m) continue;
    for (const k of OUR_METADATA_KEYS) if (out[k] === undefined && str(m[k])) out[k] = m[k] as string;
  }
  return out;
}

const isStatus = (s: unknown): s is SubscriptionStatus => (SUBSCRIPTION_STATUSES as readonly unknown[]).includes(s);

/** Reads a Stripe event (full or trimmed by trimStripeEvent). @throws Error if it is not an event. */
export function parseStripeEvent(raw: unknown): BillingEvent {
  const e = obj(raw);
  const eventId = str(e?.id);
  const type = str(e?.type);
  const created = ms(e?.created);
  if (!e || !eventId || !type || created === undefined) throw new Error("Not a Stripe event: id, type and created are required");
  const base: EventBase = { eventId, type, created };
  const o = obj(obj(e.data)?.object) ?? {};
  const id = str(o.id);
  if (!id) return { ...base, kind: "other" };

  if (type === "checkout.session.completed") {
    return {
      ...base,
      kind: "checkout",
      session: {
        id,
        mode: str(o.mode),
        customerId: idOf(o.customer),
        subscriptionId: idOf(o.subscription),
        clientReferenceId: str(o.client_reference_id),
        metadata: ours(o.metadata),
      },
    };
  }
  if (type === "customer.subscription.created" || type === "customer.subscription.updated" || type === "customer.subscription.deleted") {
    const deleted = type === "customer.subscription.deleted";
    const status = deleted ? "canceled" : o.status;
    if (!isStatus(status)) return { ...base, kind: "other" };
    // Since API 2025-03-31 periods live on subscription items; older versions had them on the subscription.
    const item = firstOf(o.items);
    return {
      ...base,
      kind: "subscription",
      deleted,
      subscription: {
        id,
        customerId: idOf(o.customer),
        status,
        currentPeriodStart: ms(item?.current_period_start) ?? ms(o.current_period_start),
        currentPeriodEnd: ms(item?.current_period_end) ?? ms(o.current_period_end),
        cancelAtPeriodEnd: o.cancel_at_period_end === true,
        canceledAt: ms(o.canceled_at),
        trialEnd: ms(o.trial_end),
        priceId: idOf(item?.price),
        metadata: ours(o.metadata),
      },
    };
  }
  if (type === "invoice.paid" || type === "invoice.payment_failed") {
    const subDetails = obj(obj(o.parent)?.subscription_details);
    const line = firstOf(o.lines);
    const period = obj(line?.period);
    const payment = obj(firstOf(o.payments)?.payment);
    const pricing = obj(obj(line?.pricing)?.price_details);
    return {
      ...base,
      kind: "invoice",
      paid: type === "invoice.paid",
      invoice: {
        id,
        customerId: idOf(o.customer),
        subscriptionId: idOf(subDetails?.subscription) ?? idOf(o.subscription),
        amountPaid: num(o.amount_paid) ?? 0,
        amountDue: num(o.amount_due) ?? 0,
        currency: str(o.currency) ?? "usd",
        billingReason: str(o.billing_reason),
        // invoice.period_* of a subscription invoice is the *previous* period; the line has the paid one.
        periodStart: ms(period?.start),
        periodEnd: ms(period?.end),
        chargeId: idOf(o.charge) ?? idOf(payment?.charge),
        paidAt: ms(obj(o.status_transitions)?.paid_at),
        description: str(o.description) ?? str(line?.description),
        priceId: idOf(pricing?.price) ?? idOf(line?.price),
        metadata: ours(subDetails?.metadata, obj(o.subscription_details)?.metadata, o.metadata),
      },
    };
  }
  if (type === "charge.refunded") {
    return {
      ...base,
      kind: "refund",
      charge: {
        id,
        customerId: idOf(o.customer),
        amount: num(o.amount) ?? 0,
        amountRefunded: num(o.amount_refunded) ?? 0,
        refunded: o.refunded === true,
        currency: str(o.currency) ?? "usd",
        invoiceId: idOf(o.invoice),
        metadata: ours(o.metadata),
      },
    };
  }
  return { ...base, kind: "other" };
}

const MAX_TRIM_DEPTH = 8;

/**
 * A copy of a verified Stripe event that is a valid Convex value and small: keys Convex rejects
 * (leading "$", non-ASCII) are dropped, metadata keeps only our keys, arrays keep their first 5
 * items. parseStripeEvent reads the copy exactly as it reads the original.
 */
export function trimStripeEvent(raw: unknown): Record<string, unknown> {
  const copy = (value: unknown, depth: number, metadata: boolean): unknown => {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") return Number.isFinite(value) ? value : null;
    if (depth > MAX_TRIM_DEPTH) return null;
    if (Array.isArray(value)) return value.slice(0, 5).map((v) => copy(v, depth + 1, false));
    const o = obj(value);
    if (!o) return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined || !/^[\x20-\x7e]{1,64}$/.test(k) || k.startsWith("$")) continue;
      if (metadata && !(OUR_METADATA_KEYS as readonly string[]).includes(k)) continue;
      out[k] = copy(v, depth + 1, k === "metadata");
    }
    return out;
  };
  return copy(raw, 0, false) as Record<string, unknown>;
}

/** Whether applying the event may need the customer's metadata (no site in the event itself). */
export function needsCustomerHints(raw: unknown): string | null {
  try {
    const e = parseStripeEvent(raw);
    const meta =
      e.kind === "checkout" ? e.session.metadata : e.kind === "subscription" ? e.subscription.metadata : e.kind === "invoice" ? e.invoice.metadata : e.kind === "refund" ? e.charge.metadata : null;
    const customer =
      e.kind === "checkout" ? e.session.customerId : e.kind === "subscription" ? e.subscription.customerId : e.kind === "invoice" ? e.invoice.customerId : e.kind === "refund" ? e.charge.customerId : undefined;
    if (!meta || meta.siteId || !customer) return null;
    return customer;
  } catch {
    return null;
  }
}
