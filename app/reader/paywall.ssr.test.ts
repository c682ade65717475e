import { Window } from "happy-dom";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { createStaticHandler, createStaticRouter, StaticRouterProvider } from "react-router-dom/server";
import { describe, expect, test } from "vitest";
import { JoinForm } from "./join-form";
import { CheckoutThanks, Paywall, paywallState, type CheckoutPlan, type SubscriptionView } from "./paywall";
import type { ReaderViewer, SiteData } from "./types";

// The paywall (issue #16): exactly one primary (.button) and one secondary (.button--secondary)
// action in every state; plans as one compact choice, not a stack of buttons. Rendered as the
// server renders it (no JavaScript on reader pages).

const site = { name: "The Daily", slug: "daily", base: "/daily", canonicalBase: "http://x/daily", accent: { light: "#0b5cad", dark: "#7db7ff" } } as unknown as SiteData;
const plans: CheckoutPlan[] = [
  { id: "p1", name: "Monthly", description: null, priceCents: 500, currency: "usd", interval: "month", features: [] },
  { id: "p2", name: "Yearly", description: null, priceCents: 5000, currency: "usd", interval: "year", features: [] },
];
const sub = (over: Partial<SubscriptionView>): SubscriptionView => ({
  planName: "Monthly",
  status: "active",
  grantsAccess: false,
  reason: null,
  canManage: true,
  currentPeriodEnd: 0,
  cancelAtPeriodEnd: false,
  ...over,
});

function render(props: Partial<Parameters<typeof Paywall>[0]>) {
  const html = renderToStaticMarkup(createElement(Paywall, { site, signedIn: false, redirectTo: "/daily/rates", plans, ...props }));
  const doc = new Window().document;
  doc.body.innerHTML = html;
  return { html, doc };
}

/** Elements whose class list has `.button` but not `.button--secondary`, and those with `.button--secondary`. */
function actions(doc: Window["document"]) {
  const all = [...doc.querySelectorAll(".button")];
  const primary = all.filter((e) => !e.classList.contains("button--secondary"));
  const secondary = all.filter((e) => e.classList.contains("button--secondary"));
  return { primary: primary.map((e) => e.textContent), secondary: secondary.map((e) => e.textContent), elements: { primary, secondary } };
}

describe("paywall: one primary and one secondary action in every state", () => {
  const cases: Array<[string, Partial<Parameters<typeof Paywall>[0]>, string, string, string]> = [
    ["signed out", { signedIn: false }, "signed-out", "Subscribe", "Sign in"],
    ["signed in without a plan", { signedIn: true }, "no-plan", "Subscribe", "See plans"],
    ["lapsed: past_due", { signedIn: true, subscription: sub({ status: "past_due", reason: "past_due" }) }, "lapsed", "Update payment", "See plans"],
    ["lapsed: unpaid", { signedIn: true, subscription: sub({ status: "unpaid", reason: "unpaid" }) }, "lapsed", "Update payment", "See plans"],
    ["canceled", { signedIn: true, subscription: sub({ status: "canceled", reason: "canceled" }) }, "ended", "Resubscribe", "Manage subscription"],
    ["ended, no billing account", { signedIn: true, subscription: sub({ status: "canceled", reason: "ended", canManage: false }) }, "ended", "Resubscribe", "See plans"],
    ["no plans configured, signed out", { signedIn: false, plans: [] }, "no-plans", "Follow The Daily", "Sign in"],
    ["no plans configured, signed in", { signedIn: true, plans: [] }, "no-plans", "Follow The Daily", "Read free posts"],
    ["already subscribed error", { signedIn: true, error: "You're already subscribed", errorManage: true }, "no-plan", "Subscribe", "Manage subscription"],
  ];
  test.each(cases)("%s", (_name, props, state, primary, secondary) => {
    const { doc } = render(props);
    expect(doc.querySelector("[data-testid=paywall]")?.getAttribute("data-state")).toBe(state);
    const a = actions(doc);
    expect(a.primary).toEqual([primary]);
    expect(a.secondary).toEqual([secondary]);
    // Nothing else on the paywall is a button a reader could mistake for another call to action.
    expect(doc.querySelectorAll("button, a.button").length).toBe(2);
  });

  test("plans are one radio list inside one checkout form, the first chosen; a single plan is a line, not a choice", () => {
    const { doc } = render({ signedIn: true });
    const form = doc.querySelector("form.paywall__form")!;
    expect(form.querySelector("input[name=intent]")?.getAttribute("value")).toBe("checkout");
    const radios = [...form.querySelectorAll("input[type=radio][name=planId]")];
    expect(radios.map((r) => r.getAttribute("value"))).toEqual(["p1", "p2"]);
    expect(radios.map((r) => r.hasAttribute("checked"))).toEqual([true, false]);
    expect(form.querySelector("fieldset legend")?.textContent).toBe("Choose a plan");
    const single = render({ signedIn: true, plans: [plans[1]] }).doc;
    expect(single.querySelectorAll("input[type=radio]").length).toBe(0);
    expect(single.querySelector("input[type=hidden][name=planId]")?.getAttribute("value")).toBe("p2");
    expect(single.querySelector("[data-testid=paywall-plan]")?.textContent).toContain("Yearly");
  });

  test("Update payment opens the billing portal; Sign in and See plans come back to the post", () => {
    const lapsed = render({ signedIn: true, subscription: sub({ reason: "past_due" }) }).doc;
    const primary = actions(lapsed).elements.primary[0];
    expect(primary.closest("form")?.querySelector("input[name=intent]")?.getAttribute("value")).toBe("portal");
    expect(actions(lapsed).elements.secondary[0].getAttribute("href")).toBe("/daily/subscribe?returnTo=%2Fdaily%2Frates");
    const out = render({ signedIn: false }).doc;
    expect(actions(out).elements.secondary[0].getAttribute("href")).toBe("/login?redirectTo=%2Fdaily%2Frates");
  });

  test("paywall leak: a lapsed reader without a billing account is offered plans, not a portal they cannot open", () => {
    expect(paywallState(true, plans, sub({ reason: "past_due", canManage: false }))).toBe("no-plan");
  });
});

describe("checkout return", () => {
  test("?checkout=success shows a thank-you (role=status); anything else shows nothing", () => {
    const html = renderToStaticMarkup(createElement(CheckoutThanks, { site, search: "?checkout=success&session_id=cs_1" }));
    expect(html).toContain('role="status"');
    expect(html).toContain("Thank you for subscribing to The Daily");
    expect(renderToStaticMarkup(createElement(CheckoutThanks, { site, search: "?checkout=canceled" }))).toBe("");
    expect(renderToStaticMarkup(createElement(CheckoutThanks, { site, search: "" }))).toBe("");
  });

  test("XSS: the site name in the thank-you is text, not markup", () => {
    const evil = { ...site, name: "<img src=x onerror=alert(1)>" } as SiteData;
    const html = renderToStaticMarkup(createElement(CheckoutThanks, { site: evil, search: "?checkout=success" }));
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img");
  });
});

/** The join form inside the $site route, whose loader data carries `viewer` (as the layout sends it). */
async function renderJoin(viewer: ReaderViewer | null, following: boolean | null) {
  const routes = [
    {
      id: "routes/$site",
      path: "/daily",
      loader: () => ({ site, viewer }),
      Component: () => createElement(JoinForm, { site, membership: following === null ? null : { following }, idPrefix: "t" }),
    },
  ];
  const handler = createStaticHandler(routes);
  const context = await handler.query(new Request("http://127.0.0.1/daily"));
  if (context instanceof Response) throw new Error("unexpected response");
  const router = createStaticRouter(handler.dataRoutes, context);
  return renderToStaticMarkup(createElement(StaticRouterProvider, { router, context, hydrate: false }));
}

describe("join form and membership", () => {
  test("signed out and free members are offered Follow; paid and comped members are not", async () => {
    expect(await renderJoin(null, null)).toContain('data-testid="join-form"');
    expect(await renderJoin({ name: "R", membership: null }, false)).toContain('data-testid="join-form"');
    expect(await renderJoin({ name: "R", membership: "free" }, false)).toContain('data-testid="join-form"');
    for (const membership of ["paid", "comped"] as const) {
      const html = await renderJoin({ name: "R", membership }, false);
      expect(html).not.toContain("join-form");
      expect(html).not.toContain("Follow");
      // A paid member who follows by email still sees where to manage it.
      expect(await renderJoin({ name: "R", membership }, true)).toContain('data-testid="join-following"');
    }
  });
});
