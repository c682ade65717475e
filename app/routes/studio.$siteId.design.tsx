import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useCallback, useEffect, useRef, type RefObject } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { checkField, FIELDS, fieldProps } from "../../convex/shared/fields";
import { can } from "../../convex/shared/roles";
import {
  COLOR_SCHEMES,
  FONT_PAIR_IDS,
  FONT_PAIRS,
  HOME_LAYOUTS,
  navLinkFieldProblem,
  resolveTheme,
  themeFromParams,
  themeToParams,
  type ColorScheme,
  type HomeLayout,
  type NavLink,
  type ResolvedTheme,
} from "../../convex/shared/theme";
import { FormMessage, SelectField } from "../studio/components";
import { ImageField, NavLinksEditor, RadioGroup, ThemeCards } from "../studio/design";
import { formErrorsFrom, type FormErrors } from "../studio/errors";
import { loadOrThrow, privateHeaders, requireStudio, requireStudioAction } from "../studio/studio.server";
import { hasFieldErrors, readFields } from "../utils/fields.server";
import designStyles from "../styles/design.css?url";

// /studio/:siteId/design: the publication's look (sites:updateTheme, owners and admins; ADR 014):
// theme, font pair, home layout, dark mode, accent colour, logo, cover image and navigation links.
// One form that posts without JavaScript (images upload through the action to Convex file
// storage). The live preview is an <iframe name="theme-preview"> showing
// /studio/:siteId/design/preview?{themeToParams}: the Preview button targets it with a plain GET;
// with JavaScript the iframe follows the form as it changes (debounced).

export const links: LinksFunction = () => [{ rel: "stylesheet", href: designStyles }];

const LOGO_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/svg+xml"];
const COVER_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
const MAX_LOGO_BYTES = 2 * 2 ** 20;
const MAX_COVER_BYTES = 5 * 2 ** 20;
const PREVIEW_DEBOUNCE_MS = 300;

const LAYOUT_COPY: Record<HomeLayout, { label: string; hint: string }> = {
  list: { label: "List", hint: "Titles and excerpts, newest first." },
  grid: { label: "Grid", hint: "Cards with cover images." },
  magazine: { label: "Magazine", hint: "A hero story, then a grid." },
};
const SCHEME_COPY: Record<ColorScheme, { label: string; hint: string }> = {
  auto: { label: "Automatic", hint: "Follows each reader's system setting." },
  light: { label: "Always light", hint: "" },
  dark: { label: "Always dark", hint: "" },
};
const LAYOUT_OPTIONS = HOME_LAYOUTS.map((value) => ({ value, ...LAYOUT_COPY[value] }));
const SCHEME_OPTIONS = COLOR_SCHEMES.map((value) => ({ value, ...SCHEME_COPY[value] }));

/** What the form shows: the theme, the accent text and the navigation rows as posted or saved. */
export type DesignValues = ResolvedTheme & { accentColor: string };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { convex, headers, siteId } = await requireStudio(request, params);
  const settings = await loadOrThrow(convex.query(api.sites.getSettings, { siteId }));
  return data({ settings }, { headers: privateHeaders(headers) });
}

/** An image file from the form uploaded to Convex file storage; null when none was chosen. */
async function uploadImage(
  convex: Awaited<ReturnType<typeof requireStudioAction>>["convex"],
  siteId: Id<"sites">,
  file: FormDataEntryValue | null,
  types: string[],
  maxBytes: number,
): Promise<Id<"_storage"> | null | "invalid"> {
  if (!(file instanceof Blob) || file.size === 0) return null;
  if (!types.includes(file.type) || file.size > maxBytes) return "invalid";
  const uploadUrl = await convex.mutation(api.sites.generateUploadUrl, { siteId });
  const res = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": file.type }, body: file });
  if (!res.ok) throw new Error(`upload failed: ${res.status}`);
  return ((await res.json()) as { storageId: Id<"_storage"> }).storageId;
}

/** The posted navigation rows (blank ones dropped), with each kept link's row number for its errors. */
function readNavRows(form: FormData): { links: NavLink[]; rows: number[]; posted: NavLink[] } {
  const labels = form.getAll("navLabel").map((v) => (typeof v === "string" ? v.slice(0, 1000) : ""));
  const urls = form.getAll("navUrl").map((v) => (typeof v === "string" ? v.slice(0, 1000) : ""));
  const posted = labels.map((label, i) => ({ label, url: urls[i] ?? "" }));
  const links: NavLink[] = [];
  const rows: number[] = [];
  posted.forEach((l, i) => {
    if (!l.label.trim() && !l.url.trim()) return;
    links.push({ label: l.label.trim(), url: l.url.trim() });
    rows.push(i);
  });
  return { links, rows, posted };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { convex, headers, siteId } = await requireStudioAction(request, params);
  const form = await request.formData();
  const str = (name: string) => {
    const v = form.get(name);
    return typeof v === "string" ? v.slice(0, 100) : "";
  };
  const { values: text, fields } = readFields(form, { accentColor: FIELDS.accentColor });
  const nav = readNavRows(form);
  const values: DesignValues = {
    theme: str("theme") as DesignValues["theme"],
    fontPair: str("fontPair") as DesignValues["fontPair"],
    homeLayout: str("homeLayout") as DesignValues["homeLayout"],
    colorScheme: str("colorScheme") as DesignValues["colorScheme"],
    navLinks: nav.posted,
    accentColor: text.accentColor,
  };
  const reply = (errors: FormErrors | undefined, notice: string | undefined, status = 200) =>
    data({ values, errors, notice }, { status, headers: privateHeaders(headers) });
  // The same rule Convex applies (navLinkFieldProblem), checked here so every row gets its error at once.
  nav.links.forEach((link, i) => {
    const problem = navLinkFieldProblem(link);
    if (problem) fields[`navLinks.${nav.rows[i]}.${problem.part}`] = problem.message;
  });
  if (hasFieldErrors(fields)) return reply({ fields }, undefined, 400);
  try {
    const logo = form.get("remove-logo") ? null : await uploadImage(convex, siteId, form.get("logo"), LOGO_TYPES, MAX_LOGO_BYTES);
    if (logo === "invalid") return reply({ fields: { logo: "Choose a PNG, JPEG, WebP, GIF or SVG image under 2 MB." } }, undefined, 400);
    const cover = form.get("remove-cover") ? null : await uploadImage(convex, siteId, form.get("cover"), COVER_TYPES, MAX_COVER_BYTES);
    if (cover === "invalid") return reply({ fields: { cover: "Choose a PNG, JPEG, WebP or GIF image under 5 MB." } }, undefined, 400);
    await convex.mutation(api.sites.updateTheme, {
      siteId,
      theme: values.theme || undefined,
      fontPair: values.fontPair || undefined,
      homeLayout: values.homeLayout || undefined,
      colorScheme: values.colorScheme || undefined,
      navLinks: nav.links,
      accentColor: text.accentColor || null,
      // A removed image is null; an unchanged one is left out (undefined keeps what is saved).
      logoStorageId: form.get("remove-logo") ? null : (logo ?? undefined),
      coverStorageId: form.get("remove-cover") ? null : (cover ?? undefined),
    });
    return reply(undefined, "Design saved.");
  } catch (error) {
    // Convex names a link by its index among the kept links; the form by its row.
    const fieldMap = Object.fromEntries(nav.rows.flatMap((row, i) => ["label", "url"].map((p) => [`navLinks.${i}.${p}`, `navLinks.${row}.${p}`])));
    const formFields = ["theme", "fontPair", "homeLayout", "colorScheme", "accentColor", "logo", "cover", "navLinks", ...Object.values(fieldMap)];
    return reply(formErrorsFrom(error, fieldMap, formFields), undefined, 400);
  }
}

/**
 * Points the preview iframe at the form's current (unsaved) choices, 300 ms after the last change;
 * returns the update for the Preview button to run at once.
 */
function useLivePreview(formRef: RefObject<HTMLFormElement | null>, frameRef: RefObject<HTMLIFrameElement | null>, previewPath: string) {
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const show = useCallback(() => {
    const form = formRef.current;
    const frame = frameRef.current;
    if (!form || !frame) return;
    const params = new URLSearchParams();
    new FormData(form).forEach((v, k) => typeof v === "string" && params.append(k, v));
    const src = `${previewPath}?${themeToParams(themeFromParams(params)).toString()}`;
    if (frame.getAttribute("src") !== src) frame.setAttribute("src", src);
  }, [formRef, frameRef, previewPath]);
  useEffect(() => {
    const form = formRef.current;
    if (!form) return;
    const update = () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(show, PREVIEW_DEBOUNCE_MS);
    };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    return () => {
      clearTimeout(timer.current);
      form.removeEventListener("input", update);
      form.removeEventListener("change", update);
    };
  }, [formRef, show]);
  return show;
}

export default function Design() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const frameRef = useRef<HTMLIFrameElement>(null);
  const previewPath = `/studio/${settings._id}/design/preview`;
  const showPreview = useLivePreview(formRef, frameRef, previewPath);
  const saved = resolveTheme(settings.branding);
  const values: DesignValues = result?.values ?? { ...saved, accentColor: settings.branding?.accentColor ?? "" };
  const errors = result?.errors;
  const fieldErrors: Record<string, string> = errors?.fields ?? {};
  if (!can(settings.role, "site.settings")) {
    return (
      <main id="main" className="st-page">
        <h1>Design</h1>
        <p>Only owners and admins change the publication's design.</p>
      </main>
    );
  }
  const initialPreview = `${previewPath}?${themeToParams({ ...saved, accentColor: settings.branding?.accentColor ?? null }).toString()}`;
  const submitting = navigation.state === "submitting" && navigation.formMethod?.toUpperCase() === "POST";
  return (
    <main id="main" className="st-page ds-page">
      <header className="st-page__header">
        <h1>Design</h1>
        <p className="st-muted">How {settings.name} looks to readers. Changes show in the preview; readers see them once you save.</p>
      </header>
      <div className="ds-layout">
        <Form
          method="post"
          encType="multipart/form-data"
          className="st-form st-card ds-form"
          noValidate
          ref={formRef}
          // Remount after each answer so inputs show what was saved or posted (and file inputs empty).
          key={JSON.stringify([result?.notice ?? null, result?.values ?? null, settings.logoUrl, settings.coverUrl])}
          aria-label="Design"
        >
          <FormMessage errors={errors} notice={result?.notice} />
          <ThemeCards value={values.theme} error={fieldErrors.theme} />
          <SelectField label="Fonts" name="fontPair" defaultValue={values.fontPair} error={fieldErrors.fontPair} hint="Served from this site: no requests to font services.">
            {FONT_PAIR_IDS.map((id) => (
              <option key={id} value={id}>
                {FONT_PAIRS[id].label}
              </option>
            ))}
          </SelectField>
          <RadioGroup legend="Home page layout" name="homeLayout" options={LAYOUT_OPTIONS} value={values.homeLayout} error={fieldErrors.homeLayout} />
          <RadioGroup legend="Dark mode" name="colorScheme" options={SCHEME_OPTIONS} value={values.colorScheme} error={fieldErrors.colorScheme} />
          <AccentField value={values.accentColor} error={fieldErrors.accentColor} />
          <ImageField name="logo" label="Logo" url={settings.logoUrl} accept={LOGO_TYPES.join(",")} hint="PNG, JPEG, WebP, GIF or SVG, under 2 MB. Shown in the site header." error={fieldErrors.logo} />
          <ImageField
            name="cover"
            label="Cover image"
            url={settings.coverUrl}
            accept={COVER_TYPES.join(",")}
            hint="PNG, JPEG, WebP or GIF, under 5 MB. The home page's hero and the default image when a page is shared."
            error={fieldErrors.cover}
          />
          <NavLinksEditor links={values.navLinks} errors={fieldErrors} />
          <div className="ds-actions">
            <button type="submit" className="st-button st-button--primary" disabled={submitting}>
              {submitting ? "Saving…" : "Save design"}
            </button>
            <button type="submit" className="st-button" formAction={previewPath} formTarget="theme-preview" formMethod="get" formEncType="application/x-www-form-urlencoded"
              onClick={(e) => {
                // With JavaScript, Remix would take over the submission: show the preview in place instead.
                e.preventDefault();
                showPreview();
              }}
            >
              Preview
            </button>
          </div>
        </Form>
        <section className="ds-preview" aria-label="Preview">
          <iframe ref={frameRef} name="theme-preview" title="Preview of the publication's home page" src={initialPreview} className="ds-preview__frame" />
        </section>
      </div>
    </main>
  );
}

/** Accent colour: a colour picker and the same value as text (the text is what posts and is checked). */
function AccentField({ value, error }: { value: string; error?: string }) {
  const textRef = useRef<HTMLInputElement>(null);
  const pickerRef = useRef<HTMLInputElement>(null);
  const valid = value && checkField(FIELDS.accentColor, value).ok ? value : "#0b5cad";
  return (
    <div className="st-field ds-accent">
      <label htmlFor="f-accentColor">Accent colour</label>
      <div className="ds-accent__inputs">
        <input
          ref={pickerRef}
          type="color"
          aria-label="Pick the accent colour"
          defaultValue={valid}
          onChange={(e) => {
            if (textRef.current) textRef.current.value = e.target.value;
          }}
        />
        <input
          ref={textRef}
          id="f-accentColor"
          name="accentColor"
          defaultValue={value}
          placeholder="#0b5cad"
          spellCheck={false}
          autoComplete="off"
          {...fieldProps(FIELDS.accentColor)}
          aria-invalid={error ? true : undefined}
          aria-describedby={`f-accentColor-hint${error ? " f-accentColor-error" : ""}`}
          onChange={(e) => {
            const check = checkField(FIELDS.accentColor, e.target.value);
            if (pickerRef.current && check.ok && check.value) pickerRef.current.value = check.value;
          }}
        />
      </div>
      <small id="f-accentColor-hint" className="st-hint">
        Links and buttons. A hex colour; the reader site adjusts it for contrast in light and dark mode. Leave empty for the default.
      </small>
      {error ? (
        <p id="f-accentColor-error" className="st-error" role="alert" data-testid="error-f-accentColor">
          {error}
        </p>
      ) : null}
    </div>
  );
}
