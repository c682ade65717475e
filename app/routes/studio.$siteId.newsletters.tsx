import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { EmptyState, FormMessage, TextField } from "../studio/components";
import type { FormErrors } from "../studio/errors";
import { useLive } from "../studio/live";
import { useStudioSite } from "../studio/site";
import { attempt, field, idParam, loadOrThrow, privateHeaders, reply, requireStudio, requireStudioAction } from "../studio/studio.server";
import { embedFormHtml } from "../utils/embedForm";
import { readField } from "../utils/fields.server";

// /studio/:siteId/newsletters: the publication's newsletters (ADR 012): name, sender name, reply-to
// and whether new members get it by default; archive hides one from members and sends (their
// choices are kept, restore brings it back). Convex checks every field (model/newsletters.ts);
// its field errors land next to the field. Editors and up only (newsletters:list needs audience.manage).

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const newsletters = await loadOrThrow(convex.query(api.newsletters.list, { siteId }));
  // The embeddable form posts to the app's origin (the one serving the studio).
  return data({ siteId, newsletters, appOrigin: new URL(request.url).origin }, { headers: privateHeaders(headers) });
}

export const meta: MetaFunction = () => [{ title: "Newsletters · Studio" }];

const FORM_FIELDS = ["name", "senderName", "replyTo"] as const;

/** The form's fields; a reply-to address is checked by the email rule here (optional: blank is none). */
function readNewsletter(form: FormData) {
  const replyTo = field(form, "replyTo") ? readField(form, "replyTo", FIELDS.email) : { value: "" };
  return {
    input: { name: field(form, "name"), senderName: field(form, "senderName"), replyTo: replyTo.value || null, defaultOn: form.get("defaultOn") === "on" },
    replyToError: replyTo.error,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const intent = field(form, "intent");
  switch (intent) {
    case "create":
    case "update": {
      const { input, replyToError } = readNewsletter(form);
      if (replyToError) return reply({ intent, errors: { fields: { replyTo: replyToError } } }, headers, 400);
      if (intent === "create") {
        return attempt(
          intent,
          headers,
          async () => {
            await convex.mutation(api.newsletters.create, { siteId, ...input });
            return `Newsletter “${input.name}” created.`;
          },
          { fields: FORM_FIELDS },
        );
      }
      const newsletterId = idParam<"newsletters">({ id: field(form, "newsletterId") }, "id");
      return attempt(
        intent,
        headers,
        async () => {
          await convex.mutation(api.newsletters.update, { siteId, newsletterId, ...input });
          return "Saved.";
        },
        { fields: FORM_FIELDS },
      );
    }
    case "archive":
    case "restore": {
      const newsletterId = idParam<"newsletters">({ id: field(form, "newsletterId") }, "id");
      return attempt(intent, headers, async () => {
        await convex.mutation(api.newsletters.archive, { siteId, newsletterId, archived: intent === "archive" });
        return intent === "archive" ? "Archived: members no longer see it and it gets no sends." : "Restored.";
      });
    }
    default:
      return reply({ intent, errors: { form: "Unknown action." } }, headers, 400);
  }
}

type Newsletter = ReturnType<typeof useLoaderData<typeof loader>>["newsletters"][number];

export default function Newsletters() {
  const loaded = useLoaderData<typeof loader>();
  const site = useStudioSite();
  const { data: newsletters } = useLive(api.newsletters.list, { siteId: loaded.siteId as Id<"sites"> }, loaded.newsletters);
  const active = newsletters.filter((n) => !n.archived);
  const archived = newsletters.filter((n) => n.archived);
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Newsletters</h1>
        <p>
          <Link to={`/studio/${loaded.siteId}/audience`}>Audience →</Link>
        </p>
      </header>
      <p className="st-muted">
        Each post can be emailed to one newsletter. Members choose which newsletters they receive; new members get the ones marked “on by default”.
      </p>
      {newsletters.length === 0 ? (
        <EmptyState>No newsletters yet. The first member who joins gets one named after the publication, or create one now.</EmptyState>
      ) : null}
      <ul className="st-list st-newsletters" data-testid="newsletters">
        {active.map((n) => (
          <li key={n._id}>
            <NewsletterCard newsletter={n} />
          </li>
        ))}
      </ul>
      <CreateNewsletter defaultName={site.name} />
      <EmbedSnippet html={embedFormHtml(loaded.appOrigin, site.slug, site.name)} />
      {archived.length ? (
        <section aria-labelledby="archived-heading">
          <h2 id="archived-heading">Archived</h2>
          <ul className="st-list st-newsletters" data-testid="archived-newsletters">
            {archived.map((n) => (
              <li key={n._id}>
                <NewsletterCard newsletter={n} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}

/** The fields of a newsletter form (create and edit), with their errors. */
function NewsletterFields({ prefix, values, errors }: { prefix: string; values: Partial<Newsletter>; errors?: FormErrors }) {
  return (
    <>
      <TextField label="Name" name="name" id={`${prefix}-name`} required {...fieldProps(FIELDS.displayName)} defaultValue={values.name ?? ""} error={errors?.fields?.name} />
      <TextField
        label="Sender name"
        name="senderName"
        id={`${prefix}-senderName`}
        required
        {...fieldProps(FIELDS.displayName)}
        defaultValue={values.senderName ?? ""}
        hint="Shown as the “From” name in inboxes."
        error={errors?.fields?.senderName}
      />
      <TextField
        label="Reply-to (optional)"
        name="replyTo"
        id={`${prefix}-replyTo`}
        type="email"
        {...fieldProps(FIELDS.email)}
        defaultValue={values.replyTo ?? ""}
        hint="Where replies go."
        error={errors?.fields?.replyTo}
      />
      <label className="st-check">
        <input type="checkbox" name="defaultOn" defaultChecked={values.defaultOn ?? true} /> On by default for new members
      </label>
    </>
  );
}

function NewsletterCard({ newsletter: n }: { newsletter: Newsletter }) {
  const fetcher = useFetcher<typeof action>();
  const result = fetcher.data;
  return (
    <section className="st-card" data-testid="newsletter" aria-label={n.name}>
      <h2 className="st-card__title">
        {n.name}
        {n.defaultOn ? <span className="st-badge">On by default</span> : null}
        {n.archived ? <span className="st-badge st-badge--archived">Archived</span> : null}
      </h2>
      <p className="st-muted">
        From “{n.senderName}”{n.replyTo ? `, replies to ${n.replyTo}` : ""}
      </p>
      <FormMessage errors={result?.errors} notice={result?.notice} />
      <details>
        <summary>Edit</summary>
        {/* key: a saved change (live list) refills the fields with what Convex stored. */}
        <fetcher.Form method="post" className="st-form" noValidate key={`${n.name}|${n.senderName}|${n.replyTo}|${n.defaultOn}`}>
          <input type="hidden" name="newsletterId" value={n._id} />
          <NewsletterFields prefix={`nl-${n._id}`} values={n} errors={result?.errors} />
          <button type="submit" name="intent" value="update" className="st-button st-button--primary" disabled={fetcher.state !== "idle"}>
            Save
          </button>
        </fetcher.Form>
      </details>
      <fetcher.Form method="post" className="st-inline-buttons">
        <input type="hidden" name="newsletterId" value={n._id} />
        <button type="submit" name="intent" value={n.archived ? "restore" : "archive"} className="st-button" disabled={fetcher.state !== "idle"}>
          {n.archived ? "Restore" : "Archive"}
        </button>
      </fetcher.Form>
    </section>
  );
}

function CreateNewsletter({ defaultName }: { defaultName: string }) {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const mine = result?.intent === "create" ? result : undefined;
  useEffect(() => {
    if (mine?.ok) formRef.current?.reset();
  }, [mine]);
  return (
    <section className="st-card" aria-labelledby="create-newsletter">
      <h2 id="create-newsletter">New newsletter</h2>
      <Form method="post" className="st-form" ref={formRef} noValidate data-testid="create-newsletter">
        <input type="hidden" name="intent" value="create" />
        <FormMessage errors={mine?.errors} notice={mine?.notice} />
        <NewsletterFields prefix="new" values={{ senderName: defaultName }} errors={mine?.errors} />
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          Create newsletter
        </button>
      </Form>
    </section>
  );
}

/** The embeddable join form (app/utils/embedForm.ts), read-only, with a copy button. */
function EmbedSnippet({ html }: { html: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  return (
    <section className="st-card" aria-labelledby="embed-heading">
      <h2 id="embed-heading">Signup form for other sites</h2>
      <p className="st-muted">Paste this HTML into any web page: readers who fill it in confirm their address here and join as free members.</p>
      <label htmlFor="embed-snippet" className="st-visually-hidden">
        Embeddable signup form HTML
      </label>
      <textarea id="embed-snippet" ref={ref} className="st-snippet" readOnly value={html} data-testid="embed-snippet" onFocus={(e) => e.currentTarget.select()} />
      <p className="st-inline-buttons">
        <button
          type="button"
          className="st-button"
          onClick={() => {
            ref.current?.select();
            // Clipboard access can be refused (permissions, insecure origin): say so, the text stays selected.
            if (!navigator.clipboard) return setCopied("no");
            navigator.clipboard.writeText(html).then(
              () => setCopied("yes"),
              () => setCopied("no"),
            );
          }}
        >
          Copy
        </button>
        <span role="status">{copied === "yes" ? "Copied." : copied === "no" ? "Could not copy: press Ctrl+C (⌘C) to copy the selected text." : ""}</span>
      </p>
    </section>
  );
}
