import { getFunctionName, type FunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { afterEach, describe, expect, test, vi } from "vitest";

// /account's billing parts (app/routes/account.tsx) with a stubbed signed-in user: a failure of the
// subscriptions list or of the billing portal is shown as what it is and logged, never hidden.

const convex = { query: vi.fn(), mutation: vi.fn(), action: vi.fn() };
vi.mock("../auth/session.server", () => ({
  requireUser: async () => ({ user: { _id: "u1", email: "reader@example.com", hasPassword: true }, token: "t", convex, headers: new Headers() }),
  clearSession: () => new Headers(),
}));
vi.mock("../auth/csrf.server", () => ({ requireSameOrigin: () => {} }));

const { action, loader } = await import("../routes/account");

const post = (fields: Record<string, string>) =>
  new Request("http://127.0.0.1:3000/account", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

/** The body of a Remix `data()` result. */
const body = (r: any) => (r && "data" in r ? r.data : r);

afterEach(() => {
  vi.restoreAllMocks();
  convex.query.mockReset();
  convex.action.mockReset();
});

describe("swallowed errors: the account page", () => {
  test("a failing billing portal is logged, and the reader sees why (the catalogue's copy) or a generic retry line", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const failure = new Error("fetch failed: connect ECONNREFUSED");
    convex.action.mockRejectedValueOnce(failure);
    const res: any = await action({ request: post({ intent: "manage-subscription", siteSlug: "daily" }), params: {}, context: {} });
    expect(res.init?.status).toBe(400);
    expect(body(res).errors.form).toBe("We couldn't reach the payment page. Please try again in a moment.");
    expect(log).toHaveBeenCalled();
    expect(log.mock.calls.some((c) => String(c[0]).includes("createPortalSession") && String(c[0]).includes("daily") && c.includes(failure))).toBe(true);

    convex.action.mockRejectedValueOnce(new ConvexError({ code: "NOT_FOUND" }));
    const missing: any = await action({ request: post({ intent: "manage-subscription", siteSlug: "daily" }), params: {}, context: {} });
    expect(body(missing).errors.form).toBe("We couldn't find that subscription here. Choose a plan to subscribe.");
  });

  test("a failing subscriptions list is logged and says so, instead of 'You don't subscribe to any publication yet'", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const failure = new Error("[Request ID: 9] Server Error");
    convex.query.mockImplementation(async (ref: unknown) => {
      if (getFunctionName(ref as FunctionReference<"query">) === "billing:mySubscriptions") throw failure;
      return null;
    });
    const res: any = await loader({ request: new Request("http://127.0.0.1:3000/account"), params: {}, context: {} });
    expect(body(res).subscriptions).toBeNull();
    expect(log.mock.calls.some((c) => String(c[0]).includes("billing:mySubscriptions") && c.includes(failure))).toBe(true);
  });
});
