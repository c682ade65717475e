import { ConvexError } from "convex/values";
import { afterEach, describe, expect, test, vi } from "vitest";
import { ERROR_CODES } from "../../convex/shared/errors";
import { billingErrorMessage, checkoutPlans, loadCheckoutPlans, subscribeReturnPaths } from "./billing.server";
import type { ReaderClient } from "./client.server";

// The reader's billing reads and actions must not turn a backend failure into "coming soon" or a
// silent empty list: the reader gets a real (safe) message, and the server log gets the error.

const plan = { _id: "p1", name: "Member", description: null, priceCents: 700, currency: "usd", interval: "month", features: ["All posts"] };

/** A reader client whose plans:listPublic answers `answer` (or throws it). */
function client(answer: unknown[] | Error): ReaderClient {
  return {
    signedIn: false,
    query: (async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    }) as ReaderClient["query"],
    mutation: (async () => null) as ReaderClient["mutation"],
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("swallowed errors: plans on the subscribe page and the paywall", () => {
  test("a backend failure is shown as an error (not 'coming soon') and logged with the site", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const failure = new Error("[Request ID: 1] Server Error\nUncaught Error: database is locked");
    const result = await loadCheckoutPlans(client(failure), "daily");
    expect(result).toEqual({ plans: [], plansError: "Something went wrong loading the plans. Please try again in a moment." });
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0][0])).toContain('plans:listPublic failed for site "daily"');
    expect(log.mock.calls[0]).toContain(failure);
    // The internal message never reaches the page.
    expect(result.plansError).not.toContain("database");
  });

  test("a ConvexError shows the error catalogue's safe copy, and is logged too", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await loadCheckoutPlans(client(new ConvexError({ code: "FORBIDDEN", message: "internal detail" })), "daily");
    expect(result).toEqual({ plans: [], plansError: ERROR_CODES.FORBIDDEN });
    expect(log).toHaveBeenCalledTimes(1);
  });

  test("no plans is not an error: the only case for 'coming soon'", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await loadCheckoutPlans(client([]), "daily")).toEqual({ plans: [], plansError: null });
    expect(await loadCheckoutPlans(client([plan]), "daily")).toEqual({
      plans: [{ id: "p1", name: "Member", description: null, priceCents: 700, currency: "usd", interval: "month", features: ["All posts"] }],
      plansError: null,
    });
    expect(log).not.toHaveBeenCalled();
  });

  test("the paywall's list is empty after a failure, and the failure is logged", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await checkoutPlans(client(new Error("boom")), "daily")).toEqual([]);
    expect(log).toHaveBeenCalledTimes(1);
  });
});

describe("swallowed errors: checkout and the billing portal", () => {
  test("an unexpected failure is logged with its context and shown as a generic retry message", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const failure = new Error("fetch failed");
    expect(billingErrorMessage(failure, "billing:createPortalSession (account page)")).toEqual({
      billingError: "We couldn't reach the payment page. Please try again in a moment.",
    });
    expect(String(log.mock.calls[0][0])).toContain("billing:createPortalSession (account page) failed");
    expect(log.mock.calls[0]).toContain(failure);
  });

  test("expected refusals get their own copy, an unknown catalogue code gets the catalogue's copy", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(billingErrorMessage(new ConvexError({ code: "INVALID_STATE", reason: "already_subscribed" }))).toMatchObject({ manage: true });
    expect(billingErrorMessage(new ConvexError({ code: "RATE_LIMITED" }))).toEqual({ billingError: ERROR_CODES.RATE_LIMITED });
  });
});

describe("the subscribe page's return paths (an email's upgrade button: /subscribe?from=<post slug>)", () => {
  test("checkout returns to the named post, sign-up to the subscribe page with the same from", () => {
    expect(subscribeReturnPaths("/daily", "?from=rates-and-rents")).toEqual({ returnTo: "/daily/rates-and-rents", signUpTo: "/daily/subscribe?from=rates-and-rents" });
    // A site on its own host has an empty base.
    expect(subscribeReturnPaths("", "?from=rates-and-rents")).toEqual({ returnTo: "/rates-and-rents", signUpTo: "/subscribe?from=rates-and-rents" });
    expect(subscribeReturnPaths("/daily", "")).toEqual({ returnTo: "/daily/subscribe", signUpTo: "/daily/subscribe" });
  });

  test("open redirect: a from that is not a post slug (another host, a path, a scheme, odd case) returns to the subscribe page", () => {
    for (const from of ["//evil.example", "https://evil.example/x", "../account", "a/b", "Rates", "javascript:alert(1)", "", "x".repeat(500)]) {
      expect(subscribeReturnPaths("/daily", `?${new URLSearchParams({ from })}`), from).toEqual({ returnTo: "/daily/subscribe", signUpTo: "/daily/subscribe" });
    }
  });

  test("the paywall's returnTo (a post of this site) is where checkout comes back to, and sign-up keeps it", () => {
    expect(subscribeReturnPaths("/daily", `?${new URLSearchParams({ returnTo: "/daily/rates-and-rents" })}`)).toEqual({
      returnTo: "/daily/rates-and-rents",
      signUpTo: "/daily/subscribe?returnTo=%2Fdaily%2Frates-and-rents",
    });
    expect(subscribeReturnPaths("", `?${new URLSearchParams({ returnTo: "/rates-and-rents" })}`).returnTo).toBe("/rates-and-rents");
  });

  test("open redirect: a checkout returnTo to another host is ignored (and so is another site, an auth page, or this page)", () => {
    const bad = [
      "https://evil.example/daily/x",
      "//evil.example/daily/x",
      "/\\evil.example",
      "/%2F%2Fevil.example",
      "javascript:alert(1)",
      "/other-site/post",
      "/daily",
      "/daily/subscribe",
      "/daily/subscribe?returnTo=/daily/x",
      "/login?redirectTo=https://evil.example",
      "/daily/../login",
    ];
    for (const returnTo of bad) {
      expect(subscribeReturnPaths("/daily", `?${new URLSearchParams({ returnTo })}`), returnTo).toEqual({ returnTo: "/daily/subscribe", signUpTo: "/daily/subscribe" });
    }
    // On the site's own host (empty base) a foreign host is still refused.
    expect(subscribeReturnPaths("", `?${new URLSearchParams({ returnTo: "https://evil.example/" })}`).returnTo).toBe("/subscribe");
  });
});
