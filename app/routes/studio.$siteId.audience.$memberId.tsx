import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { AccessBadge, EmailStateBadge, SOURCE_LABEL } from "../studio/audience";
import { FormMessage } from "../studio/components";
import { Time } from "../studio/format";
import { useLive } from "../studio/live";
import { attempt, field, idParam, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";

// /studio/:siteId/audience/:memberId: one audience member (ADR 012): who they are, how they joined,
// what they may read, whether they get email and which newsletters they receive; staff comp them
// (free access to paid posts) or end the comp here. Another site's member is a 404 (audience:get).

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const memberId = idParam<"audienceMembers">(params, "memberId");
  const [member, newsletters] = await Promise.all([
    loadOrThrow(convex.query(api.audience.get, { siteId, memberId })),
    loadOrThrow(convex.query(api.newsletters.list, { siteId })),
  ]);
  return data({ siteId, memberId, member, newsletters }, { headers: privateHeaders(headers) });
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.member.email} · Audience` : "Audience · Studio" }];

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const memberId = idParam<"audienceMembers">(params, "memberId");
  const form = await request.formData();
  const intent = field(form, "intent");
  if (intent !== "comp" && intent !== "uncomp") return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  return attempt(intent, headers, async () => {
    await convex.mutation(api.audience.setComp, { siteId, memberId, comped: intent === "comp" });
    return intent === "comp" ? "Complimentary access given." : "Complimentary access ended.";
  });
}

export default function AudienceMember() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const siteId = loaded.siteId as Id<"sites">;
  const { data: member } = useLive(api.audience.get, { siteId, memberId: loaded.memberId as Id<"audienceMembers"> }, loaded.member);
  const { data: newsletters } = useLive(api.newsletters.list, { siteId }, loaded.newsletters);
  const receives = new Set<string>(member.newsletterIds);
  const mine = newsletters.filter((n) => receives.has(n._id));
  const busy = navigation.state === "submitting";
  return (
    <main id="main" className="st-page">
      <p>
        <Link to={`/studio/${siteId}/audience`}>← Audience</Link>
      </p>
      <header className="st-page__header">
        <h1 data-testid="member-heading">{member.name ?? member.email}</h1>
      </header>
      <section className="st-card" aria-labelledby="member-facts">
        <h2 id="member-facts" className="st-visually-hidden">
          Details
        </h2>
        <dl className="st-facts" data-testid="member-facts">
          <dt>Email</dt>
          <dd>{member.email}</dd>
          <dt>Name</dt>
          <dd>{member.name ?? <span className="st-muted">—</span>}</dd>
          <dt>Access</dt>
          <dd>
            <AccessBadge access={member.access} />
          </dd>
          <dt>Email state</dt>
          <dd>
            <EmailStateBadge state={member.emailState} />
          </dd>
          <dt>Source</dt>
          <dd>{SOURCE_LABEL[member.source]}</dd>
          <dt>Address confirmed</dt>
          <dd>{member.confirmedAt ? <Time ms={member.confirmedAt} /> : "No"}</dd>
          <dt>Reader account</dt>
          <dd>{member.userId ? "Linked" : "None"}</dd>
          <dt>Joined</dt>
          <dd>
            <Time ms={member.createdAt} />
          </dd>
        </dl>
      </section>
      <section className="st-card" aria-labelledby="member-newsletters">
        <h2 id="member-newsletters">Newsletters</h2>
        {member.emailState !== "subscribed" ? (
          <p className="st-muted">They get no email while {member.emailState === "unsubscribed" ? "unsubscribed" : `their address is marked ${member.emailState}`}; their choices are kept.</p>
        ) : null}
        {mine.length === 0 ? (
          <p data-testid="member-newsletters">None.</p>
        ) : (
          <ul className="st-list" data-testid="member-newsletters">
            {mine.map((n) => (
              <li key={n._id}>
                {n.name}
                {n.archived ? <span className="st-muted"> (archived)</span> : null}
              </li>
            ))}
          </ul>
        )}
        <p className="st-hint">Members choose their newsletters from the preferences link in every email.</p>
      </section>
      <section className="st-card" aria-labelledby="member-comp">
        <h2 id="member-comp">Complimentary access</h2>
        <Form method="post">
          <FormMessage errors={result?.errors} notice={result?.notice} />
          {member.access === "comped" ? (
            <>
              <p>They read paid posts for free. Ending it makes them paid or free again, by their subscriptions.</p>
              <button type="submit" name="intent" value="uncomp" className="st-button" disabled={busy}>
                End complimentary access
              </button>
            </>
          ) : (
            <>
              <p>{member.access === "paid" ? "They pay for a subscription." : "They read free posts only."} A comp gives free access to paid posts.</p>
              <button type="submit" name="intent" value="comp" className="st-button st-button--primary" disabled={busy}>
                Give complimentary access
              </button>
            </>
          )}
        </Form>
      </section>
    </main>
  );
}
