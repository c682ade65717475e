import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { PLAN_INTERVALS } from "../../convex/shared/constants";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { EmptyState, FormMessage, Pager, SelectField, TextArea, TextField } from "../studio/components";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { can } from "../../convex/shared/roles";
import { useStudioSite } from "../studio/site";
import { hasFieldErrors, readFields } from "../utils/fields.server";
import { formatMoney } from "../utils/money";
import { attempt, field, idParam, loadIfAllowed, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/plans: the site's subscription plans (create, edit, offer or withdraw, reorder)
// and what they bring in: active subscribers, monthly recurring revenue per currency, payments
// (billing:siteStats). Owners and admins.

const PAYMENTS_PAGE = 25;
const PLAN_FIELDS = ["name", "description", "price", "currency", "interval", "features"] as const;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const cursor = new URL(request.url).searchParams.get("cursor") || null;
  const statsArgs = { siteId, paginationOpts: { numItems: PAYMENTS_PAGE, cursor } };
  const [plans, stats] = await Promise.all([
    loadIfAllowed(convex.query(api.plans.listForSite, { siteId })),
    loadIfAllowed(convex.query(api.billing.siteStats, statsArgs)),
  ]);
  return data({ siteId, statsArgs, plans, stats }, { headers: privateHeaders(headers) });
}

type Intent = "create" | "update" | "setActive" | "move";

/** "5", "5.00", "5,50" → cents; null when it is not an amount. */
function parsePrice(text: string): number | null {
  const t = text.replace(",", ".").trim();
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(t)) return null;
  return Math.round(Number.parseFloat(t) * 100);
}

function planInput(form: FormData) {
  const interval = field(form, "interval");
  if (!field(form, "currency")) form.set("currency", "usd");
  const { values, fields } = readFields(form, { name: FIELDS.planName, description: FIELDS.planDescription, currency: FIELDS.currency });
  return {
    ...values,
    fieldErrors: fields,
    price: field(form, "price", 20),
    interval: ((PLAN_INTERVALS as readonly string[]).includes(interval) ? interval : "month") as (typeof PLAN_INTERVALS)[number],
    features: String(form.get("features") ?? "")
      .split("\n")
      .map((f) => f.trim())
      .filter(Boolean),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent") as Intent;
  const fieldMap = { priceCents: "price" };
  switch (intent) {
    case "create":
    case "update": {
      const input = planInput(form);
      const priceCents = parsePrice(input.price);
      if (priceCents === null) input.fieldErrors.price = "Enter a price like 5 or 4.99.";
      if (priceCents === null || hasFieldErrors(input.fieldErrors)) return reply({ intent, errors: { fields: input.fieldErrors } }, headers, 400);
      const fields = { name: input.name, description: input.description, priceCents, currency: input.currency, interval: input.interval, features: input.features };
      if (intent === "create") {
        return attempt(intent, headers, async () => {
          await convex.mutation(api.plans.create, { siteId, ...fields, isActive: form.get("isActive") === "on" });
          return `Plan “${input.name}” created.`;
        }, { fieldMap, fields: PLAN_FIELDS });
      }
      const planId = idParam<"subscriptionPlans">({ id: field(form, "planId") }, "id");
      return attempt(intent, headers, async () => {
        await convex.mutation(api.plans.update, { siteId, planId, ...fields });
        return "Plan saved.";
      }, { fieldMap, fields: PLAN_FIELDS });
    }
    case "setActive": {
      const planId = idParam<"subscriptionPlans">({ id: field(form, "planId") }, "id");
      const isActive = field(form, "isActive") === "true";
      return attempt(intent, headers, async () => {
        await convex.mutation(api.plans.setActive, { siteId, planId, isActive });
        return isActive ? "Plan offered to new subscribers." : "Plan withdrawn; existing subscribers keep it.";
      });
    }
    case "move": {
      const order = form.getAll("order").map(String);
      const planId = field(form, "planId");
      const i = order.indexOf(planId);
      const j = i + (field(form, "direction") === "up" ? -1 : 1);
      if (i < 0 || j < 0 || j >= order.length) return reply({ intent, ok: true }, headers);
      [order[i], order[j]] = [order[j], order[i]];
      return attempt(intent, headers, async () => {
        await convex.mutation(api.plans.reorder, { siteId, planIds: order.map((id) => idParam<"subscriptionPlans">({ id }, "id")) });
      });
    }
    default:
      return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  }
}

type Plan = {
  _id: string;
  name: string;
  description: string | null;
  priceCents: number;
  currency: string;
  interval: "month" | "year";
  features: string[];
  isActive: boolean;
  syncedToStripe: boolean;
};

export default function Plans() {
  const { siteId, statsArgs, plans: initialPlans, stats: initialStats } = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const [searchParams] = useSearchParams();
  const allowed = can(site.role, "billing.manage") && initialPlans !== null;
  const { data: plans } = useLive(api.plans.listForSite, allowed ? { siteId: siteId as Id<"sites"> } : "skip", initialPlans);
  const { data: stats } = useLive(api.billing.siteStats, allowed ? { ...statsArgs, siteId: siteId as Id<"sites"> } : "skip", initialStats);
  if (!allowed || !plans) {
    return (
      <main id="main" className="st-page">
        <h1>Plans &amp; revenue</h1>
        <p>Only owners and admins manage plans and see revenue.</p>
      </main>
    );
  }
  const order = plans.map((p) => p._id);
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Plans &amp; revenue</h1>
      </header>
      {stats ? (
        <section aria-labelledby="stats-heading" className="st-stats">
          <h2 id="stats-heading" className="st-visually-hidden">
            Revenue
          </h2>
          <dl>
            <div>
              <dt>Active subscribers</dt>
              <dd data-testid="subscriber-count">{stats.subscriberCount}</dd>
            </div>
            <div>
              <dt>Monthly recurring revenue</dt>
              <dd data-testid="mrr">{stats.mrr.length ? stats.mrr.map((m) => formatMoney(m.amountCents, m.currency)).join(" + ") : formatMoney(0, "usd")}</dd>
            </div>
          </dl>
        </section>
      ) : null}
      <section aria-labelledby="plans-heading">
        <h2 id="plans-heading">Plans</h2>
        {plans.length === 0 ? (
          <EmptyState>No plans yet. Featured posts need at least one active plan.</EmptyState>
        ) : (
          <ul className="st-plan-list" data-testid="plans">
            {plans.map((p, i) => (
              <li key={p._id} className="st-card" data-testid="plan">
                <PlanRow plan={p} order={order} first={i === 0} last={i === plans.length - 1} />
              </li>
            ))}
          </ul>
        )}
        <CreatePlan />
      </section>
      {stats ? (
        <section aria-labelledby="payments-heading">
          <h2 id="payments-heading">Payments</h2>
          {stats.payments.page.length === 0 ? (
            <EmptyState>No payments yet.</EmptyState>
          ) : (
            <table className="st-table" data-testid="payments">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Subscriber</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {stats.payments.page.map((p) => (
                  <tr key={p._id}>
                    <td>
                      <Time ms={p.createdAt} />
                    </td>
                    <td>{p.userName}</td>
                    <td>
                      {formatMoney(p.amountCents, p.currency)}
                      {p.amountRefundedCents ? <span className="st-muted"> ({formatMoney(p.amountRefundedCents, p.currency)} refunded)</span> : null}
                    </td>
                    <td>{p.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pager
            base={`/studio/${siteId}/plans`}
            params={searchParams}
            cursor={statsArgs.paginationOpts.cursor}
            nextCursor={stats.payments.isDone ? null : stats.payments.continueCursor}
          />
        </section>
      ) : null}
    </main>
  );
}

function PlanFields({ plan, errors, idPrefix }: { plan?: Plan; errors?: Record<string, string>; idPrefix: string }) {
  return (
    <>
      <TextField label="Name" name="name" id={`${idPrefix}-name`} defaultValue={plan?.name} required {...fieldProps(FIELDS.planName)} error={errors?.name} />
      <TextField
        label="Price"
        name="price"
        id={`${idPrefix}-price`}
        inputMode="decimal"
        defaultValue={plan ? (plan.priceCents / 100).toFixed(2) : ""}
        required
        error={errors?.price}
      />
      <TextField label="Currency" name="currency" id={`${idPrefix}-currency`} defaultValue={plan?.currency ?? "usd"} {...fieldProps(FIELDS.currency)} error={errors?.currency} />
      <SelectField label="Billed every" name="interval" id={`${idPrefix}-interval`} defaultValue={plan?.interval ?? "month"} error={errors?.interval}>
        <option value="month">Month</option>
        <option value="year">Year</option>
      </SelectField>
      <TextArea label="Description" name="description" id={`${idPrefix}-description`} defaultValue={plan?.description ?? ""} rows={2} {...fieldProps(FIELDS.planDescription)} error={errors?.description} />
      <TextArea
        label="Features (one per line)"
        name="features"
        id={`${idPrefix}-features`}
        defaultValue={plan?.features.join("\n") ?? ""}
        rows={3}
        error={errors?.features}
      />
    </>
  );
}

function CreatePlan() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const mine = result?.intent === "create" ? result : undefined;
  useEffect(() => {
    if (mine?.ok) formRef.current?.reset();
  }, [mine]);
  return (
    <details className="st-card" open={Boolean(mine?.errors)}>
      <summary>New plan</summary>
      <Form method="post" className="st-form" ref={formRef} noValidate>
        <input type="hidden" name="intent" value="create" />
        <FormMessage errors={mine?.errors} notice={mine?.notice} />
        <PlanFields errors={mine?.errors?.fields} idPrefix="new-plan" />
        <label className="st-check">
          <input type="checkbox" name="isActive" defaultChecked /> Offer it to new subscribers now
        </label>
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          Create plan
        </button>
      </Form>
    </details>
  );
}

function PlanRow({ plan, order, first, last }: { plan: Plan; order: string[]; first: boolean; last: boolean }) {
  const fetcher = useFetcher<typeof action>();
  const [editing, setEditing] = useState(false);
  const result = fetcher.data;
  useEffect(() => {
    if (result?.ok && result.intent === "update") setEditing(false);
  }, [result]);
  if (editing) {
    return (
      <fetcher.Form method="post" className="st-form" noValidate>
        <input type="hidden" name="intent" value="update" />
        <input type="hidden" name="planId" value={plan._id} />
        <FormMessage errors={result?.errors} />
        <PlanFields plan={plan} errors={result?.errors?.fields} idPrefix={`plan-${plan._id}`} />
        <div className="st-inline-buttons">
          <button type="submit" className="st-button st-button--primary">
            Save plan
          </button>
          <button type="button" className="st-button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </fetcher.Form>
    );
  }
  return (
    <div className="st-plan">
      <div>
        <strong>{plan.name}</strong> · {formatMoney(plan.priceCents, plan.currency)} / {plan.interval}{" "}
        <span className={`st-badge ${plan.isActive ? "st-badge--published" : "st-badge--archived"}`}>{plan.isActive ? "Offered" : "Withdrawn"}</span>
        {!plan.syncedToStripe ? <span className="st-muted"> · not yet in Stripe</span> : null}
        {plan.description ? <p className="st-muted">{plan.description}</p> : null}
        {plan.features.length ? (
          <ul>
            {plan.features.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <div className="st-inline-buttons">
        <button type="button" className="st-button" onClick={() => setEditing(true)}>
          Edit
        </button>
        <fetcher.Form method="post" className="st-inline-buttons">
          <input type="hidden" name="planId" value={plan._id} />
          <input type="hidden" name="isActive" value={plan.isActive ? "false" : "true"} />
          <button type="submit" name="intent" value="setActive" className="st-button">
            {plan.isActive ? "Withdraw" : "Offer"}
          </button>
        </fetcher.Form>
        <fetcher.Form method="post" className="st-inline-buttons">
          <input type="hidden" name="intent" value="move" />
          <input type="hidden" name="planId" value={plan._id} />
          {order.map((id) => (
            <input key={id} type="hidden" name="order" value={id} />
          ))}
          <button type="submit" name="direction" value="up" className="st-button" disabled={first} aria-label={`Move ${plan.name} up`}>
            ↑
          </button>
          <button type="submit" name="direction" value="down" className="st-button" disabled={last} aria-label={`Move ${plan.name} down`}>
            ↓
          </button>
        </fetcher.Form>
      </div>
      <FormMessage errors={result?.errors?.form ? result.errors : undefined} notice={result?.intent !== "update" ? result?.notice : undefined} />
    </div>
  );
}
