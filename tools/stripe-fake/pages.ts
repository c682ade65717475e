import type { Obj } from "./state.js";

// The fake's two pages: checkout ("Pay" / "Decline") and the billing portal ("Cancel at period end"
// / "Resume"). Plain HTML forms, so a test can drive them with fetch and a person with a browser.

const esc = (s: unknown) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
const date = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 10);

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · TEST PAYMENT PAGE</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  .banner { background: #fff3cd; border: 2px solid #b58900; padding: .75rem 1rem; font-weight: 700; border-radius: .5rem; }
  .card { border: 1px solid #ccc; border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
  button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; border: 1px solid #555; cursor: pointer; margin-right: .5rem; }
  button.primary { background: #1a4d8f; color: #fff; border-color: #1a4d8f; }
  form { display: inline; }
</style>
</head>
<body>
<p class="banner" role="note">TEST PAYMENT PAGE — no real money. This is Pressroom's local Stripe fake.</p>
${body}
</body>
</html>`;
}

export function checkoutPage(s: { session: Obj; price: Obj; product: Obj | undefined; customer: Obj | null | undefined; trialDays?: number }): string {
  const { session, price, product } = s;
  const title = `Subscribe to ${product?.name ?? "a plan"}`;
  if (session.status !== "open") {
    return layout(
      title,
      `<h1>${esc(title)}</h1><p>This checkout is ${esc(session.status)}.</p>` +
        (session.status === "complete" ? `<p><a href="${esc(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))}">Back to the site</a></p>` : ""),
    );
  }
  return layout(
    title,
    `<h1>${esc(title)}</h1>
<div class="card">
  <p><strong>${esc(product?.name ?? "Plan")}</strong>${product?.description ? ` — ${esc(product.description)}` : ""}</p>
  <p>${esc(money(price.unit_amount, price.currency))} per ${esc(price.recurring?.interval ?? "month")}${s.trialDays ? `, after a ${s.trialDays}-day free trial` : ""}</p>
  ${s.customer?.email ? `<p>Billed to ${esc(s.customer.email)}</p>` : ""}
  <p>Test card 4242 4242 4242 4242 (nothing is charged).</p>
</div>
<form method="post" action="/checkout/${esc(session.id)}/pay"><button class="primary" type="submit">Pay</button></form>
<form method="post" action="/checkout/${esc(session.id)}/decline"><button type="submit">Decline</button></form>`,
  );
}

export function portalPage(session: Obj, subscriptions: Obj[], products: Map<string, Obj>): string {
  const rows = subscriptions
    .map((sub) => {
      const item = sub.items.data[0];
      const product = products.get(item.price.product);
      const state =
        sub.status === "canceled"
          ? `Canceled${sub.ended_at ? ` on ${date(sub.ended_at)}` : ""}`
          : sub.cancel_at_period_end
            ? `Cancels on ${date(item.current_period_end)}`
            : `${sub.status === "active" ? "Renews" : esc(sub.status) + ", period ends"} on ${date(item.current_period_end)}`;
      const action =
        sub.status === "canceled"
          ? ""
          : sub.cancel_at_period_end
            ? `<form method="post" action="/portal/${esc(session.id)}/resume"><input type="hidden" name="subscription" value="${esc(sub.id)}"><button type="submit">Resume</button></form>`
            : `<form method="post" action="/portal/${esc(session.id)}/cancel"><input type="hidden" name="subscription" value="${esc(sub.id)}"><button type="submit">Cancel at period end</button></form>`;
      return `<div class="card" data-subscription="${esc(sub.id)}">
  <p><strong>${esc(product?.name ?? "Subscription")}</strong> — ${esc(money(item.price.unit_amount, item.price.currency))} per ${esc(item.price.recurring?.interval ?? "month")}</p>
  <p>${state}</p>
  ${action}
</div>`;
    })
    .join("\n");
  return layout(
    "Manage your subscription",
    `<h1>Manage your subscription</h1>
${rows || "<p>No subscriptions.</p>"}
${session.return_url ? `<p><a href="${esc(session.return_url)}">Return to the site</a></p>` : ""}`,
  );
}

export function errorPage(message: string): string {
  return layout("Error", `<h1>Something went wrong</h1><p>${esc(message)}</p>`);
}
