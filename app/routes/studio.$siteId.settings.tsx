import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { FormMessage, TextArea, TextField } from "../studio/components";
import { can } from "../../convex/shared/roles";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { formErrorsFrom } from "../studio/errors";
import { loadOrThrow, privateHeaders, requireStudio, requireStudioAction } from "../studio/studio.server";
import { hasFieldErrors, readFields } from "../utils/fields.server";

// /studio/:siteId/settings: name, description and custom domain (sites:updateSettings, owners and
// admins). The site's address (slug) cannot be changed after creation. The accent colour and logo
// are part of the look, edited in Studio → Design only (studio.$siteId.design.tsx). A custom domain
// serves only once verified: the page shows the DNS TXT record to publish and a "Verify now" button
// (sites:verifyCustomDomain).

const FORM_FIELDS = ["name", "description", "customDomain"] as const;
type Values = Record<(typeof FORM_FIELDS)[number], string>;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const settings = await loadOrThrow(convex.query(api.sites.getSettings, { siteId }));
  return data({ settings }, { headers: privateHeaders(headers) });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  if (form.get("intent") === "verify-domain") {
    const values = undefined;
    try {
      const { domain, status } = await convex.action(api.sites.verifyCustomDomain, { siteId });
      if (status === "verified") return data({ values, errors: undefined, notice: `Verified: ${domain} now serves this publication.` }, { headers: privateHeaders(headers) });
      const fields: Record<string, string> = { customDomain: `The TXT record was not found at _pressroom-verify.${domain} yet. DNS changes can take a while to show; try again later.` };
      return data({ values, errors: { fields }, notice: undefined }, { status: 400, headers: privateHeaders(headers) });
    } catch (error) {
      return data({ values, errors: formErrorsFrom(error, {}, FORM_FIELDS), notice: undefined }, { status: 400, headers: privateHeaders(headers) });
    }
  }
  const { values, fields } = readFields(form, {
    name: FIELDS.siteName,
    description: FIELDS.siteDescription,
    customDomain: FIELDS.customDomain,
  });
  if (hasFieldErrors(fields)) return data({ values, errors: { fields }, notice: undefined }, { status: 400, headers: privateHeaders(headers) });
  try {
    await convex.mutation(api.sites.updateSettings, {
      siteId,
      name: values.name,
      description: values.description,
      customDomain: values.customDomain || null,
    });
    return data({ values, errors: undefined, notice: "Settings saved." }, { headers: privateHeaders(headers) });
  } catch (error) {
    const errors = formErrorsFrom(error, {}, FORM_FIELDS);
    return data({ values, errors, notice: undefined }, { status: 400, headers: privateHeaders(headers) });
  }
}

export default function Settings() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const values: Values = result?.values ?? {
    name: settings.name,
    description: settings.description ?? "",
    customDomain: settings.customDomain ?? "",
  };
  const errors = result?.errors;
  if (!can(settings.role, "site.settings")) {
    return (
      <main id="main" className="st-page">
        <h1>Settings</h1>
        <p>Only owners and admins change the publication's settings.</p>
      </main>
    );
  }
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>Settings</h1>
      </header>
      <Form method="post" className="st-form st-card" noValidate key={result?.notice ? "saved" : "editing"}>
        <FormMessage errors={errors} notice={result?.notice} />
        <TextField label="Name" name="name" defaultValue={values.name} required {...fieldProps(FIELDS.siteName)} error={errors?.fields?.name} />
        <TextField label="Address" name="slug-readonly" value={`/${settings.slug}`} readOnly hint="The address is fixed once the publication exists." />
        <TextArea label="Description" name="description" defaultValue={values.description} rows={3} {...fieldProps(FIELDS.siteDescription)} error={errors?.fields?.description} />
        <TextField
          label="Custom domain (optional)"
          name="customDomain"
          defaultValue={values.customDomain}
          placeholder="news.example.com"
          {...fieldProps(FIELDS.customDomain)}
          autoComplete="off"
          spellCheck={false}
          error={errors?.fields?.customDomain}
          hint="Enter the domain, save, then prove it is yours with the DNS record shown below."
        />
        {settings.customDomain && settings.customDomainStatus === "verified" ? (
          <p data-testid="domain-status" data-status="verified">
            <strong>Verified.</strong> {settings.customDomain} serves this publication and is its canonical address.
          </p>
        ) : null}
        <p className="st-hint">
          The accent colour, logo, cover image and fonts are in <Link to={`/studio/${settings._id}/design`}>Design</Link>.
          {can(settings.role, "site.import") ? (
            <>
              {" "}
              Move posts in from Ghost, WordPress, Substack or Medium, or download everything, in{" "}
              <Link to={`/studio/${settings._id}/migrate`} data-testid="settings-migrate-link">
                Import &amp; export
              </Link>
              .
            </>
          ) : null}
        </p>
        <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
          Save settings
        </button>
      </Form>
      {settings.customDomain && settings.customDomainStatus === "pending" && settings.customDomainRecord ? (
        <Form method="post" className="st-form st-card" aria-label="Custom domain verification" data-testid="domain-status" data-status="pending">
          <p>
            <strong>Pending.</strong> {settings.customDomain} serves nothing until you prove it is yours. Add this DNS record, then
            press Verify now:
          </p>
          <dl>
            <dt>Type</dt>
            <dd>TXT</dd>
            <dt>Name</dt>
            <dd>
              <code data-testid="domain-record-name">{settings.customDomainRecord.name}</code>
            </dd>
            <dt>Value</dt>
            <dd>
              <code data-testid="domain-record-value">{settings.customDomainRecord.value}</code>
            </dd>
          </dl>
          <button type="submit" name="intent" value="verify-domain" className="st-button" disabled={navigation.state === "submitting"}>
            Verify now
          </button>
        </Form>
      ) : null}
    </main>
  );
}
