// Pieces of Studio → Design (app/routes/studio.$siteId.design.tsx): theme cards, the navigation
// links editor and the image fields. Plain form controls first: everything posts without
// JavaScript; once hydrated, rows can be added and removed in place.
import { useEffect, useState } from "react";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { MAX_NAV_LINKS, THEME_IDS, THEME_LABELS, type NavLink, type ThemeId } from "../../convex/shared/theme";
import { FieldError } from "./components";

/** Blank rows offered after the saved links, so a link can be added without JavaScript. */
export const BLANK_NAV_ROWS = 2;

export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/** A small drawing of each theme's home page (decorative: the card's text says what it is). */
function ThemeSchematic({ theme }: { theme: ThemeId }) {
  if (theme === "magazine") {
    return (
      <svg className="ds-schematic" viewBox="0 0 120 80" aria-hidden="true" focusable="false">
        <rect x="4" y="4" width="112" height="8" rx="1" className="ds-schematic__bar" />
        <rect x="4" y="16" width="112" height="30" rx="2" className="ds-schematic__image" />
        <rect x="4" y="50" width="34" height="16" rx="2" className="ds-schematic__image" />
        <rect x="43" y="50" width="34" height="16" rx="2" className="ds-schematic__image" />
        <rect x="82" y="50" width="34" height="16" rx="2" className="ds-schematic__image" />
        <rect x="4" y="70" width="26" height="3" className="ds-schematic__text" />
        <rect x="43" y="70" width="26" height="3" className="ds-schematic__text" />
        <rect x="82" y="70" width="26" height="3" className="ds-schematic__text" />
      </svg>
    );
  }
  return (
    <svg className="ds-schematic" viewBox="0 0 120 80" aria-hidden="true" focusable="false">
      <rect x="30" y="4" width="60" height="6" rx="1" className="ds-schematic__bar" />
      {[18, 36, 54].map((y) => (
        <g key={y}>
          <rect x="24" y={y} width="60" height="5" className="ds-schematic__title" />
          <rect x="24" y={y + 8} width="72" height="3" className="ds-schematic__text" />
          <rect x="24" y={y + 13} width="56" height="3" className="ds-schematic__text" />
        </g>
      ))}
    </svg>
  );
}

/** The theme choice as two labelled cards (radio buttons underneath, so keyboards and forms just work). */
export function ThemeCards({ value, error }: { value: ThemeId; error?: string }) {
  return (
    <fieldset className="ds-fieldset" aria-describedby={error ? "theme-error" : undefined}>
      <legend>Theme</legend>
      <div className="ds-theme-cards">
        {THEME_IDS.map((id) => (
          <label key={id} className="ds-theme-card" data-testid={`theme-card-${id}`}>
            <input type="radio" name="theme" value={id} defaultChecked={value === id} />
            <ThemeSchematic theme={id} />
            <span className="ds-theme-card__name">{THEME_LABELS[id].name}</span>
            <span className="ds-theme-card__description">{THEME_LABELS[id].description}</span>
          </label>
        ))}
      </div>
      {error ? (
        <p id="theme-error" className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** A group of radio buttons with a legend (home layout, dark mode). */
export function RadioGroup<T extends string>({
  legend,
  name,
  options,
  value,
  error,
}: {
  legend: string;
  name: string;
  options: ReadonlyArray<{ value: T; label: string; hint?: string }>;
  value: T;
  error?: string;
}) {
  return (
    <fieldset className="ds-fieldset" aria-describedby={error ? `${name}-error` : undefined}>
      <legend>{legend}</legend>
      <div className="ds-radios">
        {options.map((o) => (
          <label key={o.value} className="ds-radio">
            <input type="radio" name={name} value={o.value} defaultChecked={value === o.value} />
            <span>
              {o.label}
              {o.hint ? <small className="st-hint"> {o.hint}</small> : null}
            </span>
          </label>
        ))}
      </div>
      {error ? (
        <p id={`${name}-error`} className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

type Row = NavLink & { key: number };

/**
 * Navigation links: rows of label + address (`navLabel` / `navUrl`, posted in order). Blank rows are
 * ignored, so without JavaScript a link is added by filling a blank row and removed by clearing it.
 * `errors` are keyed by row: "navLinks.{row}.label" / ".url" (the action maps server indices to rows).
 */
export function NavLinksEditor({ links, errors }: { links: NavLink[]; errors: Record<string, string> }) {
  const hydrated = useHydrated();
  const initial = [...links, ...Array.from({ length: BLANK_NAV_ROWS }, () => ({ label: "", url: "" }))].slice(0, Math.max(links.length, MAX_NAV_LINKS));
  const [rows, setRows] = useState<Row[]>(() => initial.map((l, key) => ({ ...l, key })));
  const [nextKey, setNextKey] = useState(initial.length);
  const listError = errors.navLinks;
  return (
    <fieldset className="ds-fieldset" aria-describedby={listError ? "navLinks-error" : "navLinks-hint"}>
      <legend>Navigation links</legend>
      <p id="navLinks-hint" className="st-hint">
        Up to {MAX_NAV_LINKS} links in the site header: a page of the site like <code>/about</code> or a full <code>https://</code> address. Clear a
        row to remove it.
      </p>
      <ol className="ds-nav-rows">
        {rows.map((row, i) => {
          const labelError = errors[`navLinks.${i}.label`];
          const urlError = errors[`navLinks.${i}.url`];
          return (
            <li key={row.key} className="ds-nav-row" data-testid="nav-row">
              <div className="st-field">
                <label htmlFor={`nav-label-${row.key}`}>Label</label>
                <input
                  id={`nav-label-${row.key}`}
                  name="navLabel"
                  defaultValue={row.label}
                  {...fieldProps(FIELDS.navLinkLabel)}
                  aria-invalid={labelError ? true : undefined}
                  aria-describedby={labelError ? `nav-label-${row.key}-error` : undefined}
                />
                {labelError ? (
                  <p id={`nav-label-${row.key}-error`} className="st-error" role="alert">
                    {labelError}
                  </p>
                ) : null}
              </div>
              <div className="st-field">
                <label htmlFor={`nav-url-${row.key}`}>Address</label>
                <input
                  id={`nav-url-${row.key}`}
                  name="navUrl"
                  defaultValue={row.url}
                  placeholder="/about"
                  spellCheck={false}
                  autoComplete="off"
                  {...fieldProps(FIELDS.navLinkUrl)}
                  aria-invalid={urlError ? true : undefined}
                  aria-describedby={urlError ? `nav-url-${row.key}-error` : undefined}
                />
                {urlError ? (
                  <p id={`nav-url-${row.key}-error`} className="st-error" role="alert">
                    {urlError}
                  </p>
                ) : null}
              </div>
              {hydrated ? (
                <button
                  type="button"
                  className="st-button ds-nav-row__remove"
                  aria-label={`Remove link ${i + 1}`}
                  onClick={(e) => {
                    const form = e.currentTarget.form;
                    setRows((r) => r.filter((x) => x.key !== row.key));
                    // The preview listens for changes on the form; a removed row is one.
                    setTimeout(() => form?.dispatchEvent(new Event("change", { bubbles: true })), 0);
                  }}
                >
                  Remove
                </button>
              ) : null}
            </li>
          );
        })}
      </ol>
      {hydrated ? (
        <button
          type="button"
          className="st-button"
          disabled={rows.length >= MAX_NAV_LINKS}
          onClick={() => {
            setRows((r) => [...r, { label: "", url: "", key: nextKey }]);
            setNextKey((k) => k + 1);
          }}
        >
          Add link
        </button>
      ) : null}
      {listError ? (
        <p id="navLinks-error" className="st-error" role="alert">
          {listError}
        </p>
      ) : null}
    </fieldset>
  );
}

/** An image upload (logo, cover) with the current image and a "remove" checkbox; posts with the form. */
export function ImageField({
  name,
  label,
  url,
  accept,
  hint,
  error,
}: {
  name: "logo" | "cover";
  label: string;
  url: string | null;
  accept: string;
  hint: string;
  error?: string;
}) {
  const id = `f-${name}`;
  return (
    <div className="st-field ds-image-field">
      <label htmlFor={id}>{label}</label>
      {url ? <img src={url} alt={`Current ${name}`} data-testid={`${name}-preview`} className={`ds-image-field__preview ds-image-field__preview--${name}`} /> : null}
      <input id={id} name={name} type="file" accept={accept} aria-invalid={error ? true : undefined} aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`} />
      <small id={`${id}-hint`} className="st-hint">
        {hint}
      </small>
      {url ? (
        <label className="ds-radio">
          <input type="checkbox" name={`remove-${name}`} value="1" /> Remove the {name}
        </label>
      ) : null}
      <FieldError id={id} error={error} />
    </div>
  );
}
