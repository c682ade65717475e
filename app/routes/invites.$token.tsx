import { redirect, type LoaderFunctionArgs } from "@remix-run/node";

// Invitation notices link to /invites/{token}; the studio accepts them at /studio/invites/{token}.
export function loader({ params }: LoaderFunctionArgs) {
  return redirect(`/studio/invites/${encodeURIComponent(params.token ?? "")}`);
}
