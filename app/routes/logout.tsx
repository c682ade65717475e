import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { requireSameOrigin } from "../auth/csrf.server";
import { signOut } from "../auth/session.server";

// POST only: a GET (a link, an <img>, a prefetch) must never sign anyone out.
export async function loader() {
  return new Response("Sign out with a POST (the Sign out button).", {
    status: 405,
    headers: { Allow: "POST", "Content-Type": "text/plain" },
  });
}

/** Ends the session in Convex (its refresh token stops working) and clears the cookies. */
export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const headers = await signOut(request);
  return redirect("/", { headers });
}
