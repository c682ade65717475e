import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { api } from "../../convex/_generated/api";
import { formText } from "../auth/form-data.server";
import { joinErrorCode } from "../reader/audience.server";
import { requireSite } from "../reader/pages.server";
import { readerPaths } from "../reader/paths";
import { convexClient } from "../utils/convex.server";

// POST /{site}/email/join: where every join form posts (home, end of post, /subscribe, and the
// embeddable form on other sites, app/utils/embedForm.ts). A resource route (no page), so it is the
// one route that accepts cross-origin form posts (app/auth/csrf.server.ts isEmbedJoin): it uses no
// session and only starts a join (api.audience.join: emails a code, rate-limited, the same answer
// for members and strangers). Then 303 to the code step; a failure goes there as an error code.

export async function action({ request, params }: ActionFunctionArgs) {
  const { resolved, site } = await requireSite(request, params);
  const p = readerPaths(site.base);
  const form = await request.formData();
  const email = formText(form, "email");
  const name = formText(form, "name");
  try {
    // Anonymous on purpose: a post from another site must not act as anyone.
    await convexClient().action(api.audience.join, { siteId: resolved.site._id, email, name: name || undefined });
  } catch (error) {
    const query = new URLSearchParams({ error: joinErrorCode(error) });
    if (email) query.set("email", email);
    return redirect(`${p.emailConfirm()}?${query}`, 303);
  }
  return redirect(p.emailConfirm(email), 303);
}

/** A GET (a bookmarked or typed URL) gets the join form on the code-step page. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { site } = await requireSite(request, params);
  return redirect(readerPaths(site.base).emailConfirm(), 303);
}
