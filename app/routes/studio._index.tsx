import { data, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { errorMessage } from "../../convex/shared/errors";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { requireSameOrigin } from "../auth/csrf.server";
import { requireUser } from "../auth/session.server";
import { FormMessage, TextArea, TextField } from "../studio/components";
import { formErrorsFrom, type FormErrors } from "../studio/errors";
import { useDebounced } from "../studio/hooks";
import { useLive } from "../studio/live";
import { ROLE_LABELS } from "../../convex/shared/roles";
import { slugProblem, suggestSlug } from "../studio/slug";
import { privateHeaders } from "../studio/studio.server";
import { hasFieldErrors, readFields } from "../utils/fields.server";
import studioStyles from "../styles/studio.css?url";

// /studio: the publications the user belongs to, and "create a publication" (its address is
// checked live against sites:isSlugAvailable while typing; sites:create decides).

export const links: LinksFunction = () => [{ rel: "stylesheet", href: studioStyles }];

export const meta: MetaFunction = () => [{ title: "Studio · Pressroom" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { user, convex, headers } = await requireUser(request);
  const sites = await convex.query(api.sites.listMine, {});
  // "Start a publication" (platform home → sign-up) arrives with ?intent=publication: the create form comes first.
  const createFirst = sites.length === 0 || new URL(request.url).searchParams.get("intent") === "publication";
  return data({ sites, userName: user.name ?? null, createFirst }, { headers: privateHeaders(headers) });
}

type ActionData = { errors: FormErrors; values: { name: string; slug: string; description: string } };

export async function action({ request }: ActionFunctionArgs) {
  requireSameOrigin(request);
  const { convex, headers } = await requireUser(request);
  const form = await request.formData();
  const { values, fields } = readFields(form, { name: FIELDS.siteName, slug: FIELDS.slug, description: FIELDS.siteDescription });
  // The field rules first, then what only the site-slug check knows (reserved addresses).
  const slugError = fields.slug ?? slugProblem(values.slug, "site");
  if (slugError) fields.slug = slugError;
  if (hasFieldErrors(fields)) {
    return data<ActionData>({ errors: { fields }, values }, { status: 400, headers: privateHeaders(headers) });
  }
  try {
    const siteId = await convex.mutation(api.sites.create, {
      name: values.name,
      slug: values.slug,
      description: values.description || undefined,
    });
    return redirect(`/studio/${siteId}`, { headers });
  } catch (error) {
    const errors = formErrorsFrom(error, {}, ["name", "slug", "description"]);
    return data<ActionData>({ errors, values }, { status: 400, headers: privateHeaders(headers) });
  }
}

export default function StudioHome() {
  const { sites: initialSites, createFirst, userName } = useLoaderData<typeof loader>();
  const { data: sites } = useLive(api.sites.listMine, {}, initialSites);
  if (createFirst && sites.length === 0) {
    // A new account's landing: one thing to do.
    return (
      <main id="main" className="studio st-page" data-testid="studio-welcome">
        <header className="st-page__header">
          <h1>Your publications</h1>
          <p className="st-muted">
            {userName ? `Welcome, ${userName}. ` : "Welcome. "}Create your first publication: a name and an address. You can change how it looks, add
            plans and invite writers later.
          </p>
        </header>
        <CreatePublication />
        <p className="st-muted">Invited to someone else's publication? Open the link in your invitation email.</p>
      </main>
    );
  }
  return (
    <main id="main" className="studio st-page">
      <header className="st-page__header">
        <h1>Your publications</h1>
      </header>
      {createFirst ? <CreatePublication /> : null}
      {sites.length === 0 ? (
        <p className="st-empty">You don't belong to any publication yet. Create one below, or accept an invitation.</p>
      ) : (
        <ul className="st-site-list" data-testid="my-sites">
          {sites.map((s) => (
            <li key={s._id}>
              <Link to={`/studio/${s._id}`} className="st-site-list__name">
                {s.name}
              </Link>
              <span className="st-muted">
                /{s.slug} · {ROLE_LABELS[s.role]}
              </span>
            </li>
          ))}
        </ul>
      )}
      {createFirst ? null : <CreatePublication />}
    </main>
  );
}

function CreatePublication() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [name, setName] = useState(result?.values.name ?? "");
  const [slug, setSlug] = useState(result?.values.slug ?? "");
  const [slugTouched, setSlugTouched] = useState(Boolean(result?.values.slug));
  const shownSlug = slugTouched ? slug : suggestSlug(name);
  const errors = result?.errors;
  return (
    <section className="st-card" aria-labelledby="create-heading">
      <h2 id="create-heading">Create a publication</h2>
      <Form method="post" className="st-form" noValidate>
        <FormMessage errors={errors} />
        <TextField
          label="Name"
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          {...fieldProps(FIELDS.siteName)}
          error={errors?.fields?.name}
        />
        <TextField
          label="Address"
          name="slug"
          value={shownSlug}
          onChange={(e) => {
            setSlugTouched(true);
            setSlug(e.target.value.toLowerCase());
          }}
          required
          {...fieldProps(FIELDS.slug)}
          autoComplete="off"
          spellCheck={false}
          error={errors?.fields?.slug}
          hint={<SlugCheck slug={shownSlug} />}
        />
        <TextArea label="Description (optional)" name="description" defaultValue={result?.values.description} rows={2} {...fieldProps(FIELDS.siteDescription)} />
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          {navigation.state === "submitting" ? "Creating…" : "Create publication"}
        </button>
      </Form>
    </section>
  );
}

/** "/{slug} is available" or why not, from a live query while typing (debounced). */
function SlugCheck({ slug }: { slug: string }) {
  const settled = useDebounced(slug, 250);
  const formProblem = settled ? slugProblem(settled, "site") : null;
  const { data: check } = useLive(api.sites.isSlugAvailable, settled && !formProblem ? { slug: settled } : "skip", null);
  if (!slug) return <span>Readers will find it at /your-address.</span>;
  if (settled !== slug) return <span>Readers will find it at /{slug}.</span>;
  if (formProblem) return <span data-testid="slug-check" data-available="false">{formProblem}</span>;
  if (!check) return <span>Readers will find it at /{slug}.</span>;
  return check.available ? (
    <span data-testid="slug-check" data-available="true">
      /{slug} is available.
    </span>
  ) : (
    <span data-testid="slug-check" data-available="false">
      {errorMessage(check.reason ?? "SLUG_TAKEN")}
    </span>
  );
}
