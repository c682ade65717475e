// Small form pieces shared by the sign-in and account pages, and the card they sit on. Plain HTML
// forms: they work before (and without) JavaScript; Remix's <Form> only makes them smoother once
// hydrated. Styles: app/styles/app.css (.auth-*, .field, .btn).
import type { CSSProperties, InputHTMLAttributes, ReactNode } from "react";

export type FormErrors = { form?: string; fields?: Record<string, string> };

/** The publication a sign-in page was reached from (auth/branding.server.ts), as the card shows it. */
export type CardBranding = { name: string; logoUrl: string | null; accent: { light: string; dark: string }; home: string } | null;

type FieldProps = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
};

/** A labelled input with its error next to it (announced, and linked through aria-describedby). */
export function Field({ label, name, error, hint, id, ...rest }: FieldProps) {
  const inputId = id ?? `field-${name}`;
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <label htmlFor={inputId} className="field__label">
        {label}
      </label>
      <input id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy} className="field__input" {...rest} />
      {error ? (
        <p id={errorId} role="alert" className="field__error">
          {error}
        </p>
      ) : null}
      {hint ? (
        <small id={hintId} className="field__hint">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

/** The form-level error (not tied to one field), or a status message: shown above the form. */
export function FormMessage({ error, notice }: { error?: string; notice?: string }) {
  if (error)
    return (
      <p role="alert" data-testid="form-error" className="form-message form-message--error">
        {error}
      </p>
    );
  if (notice)
    return (
      <p role="status" data-testid="form-notice" className="form-message form-message--notice">
        {notice}
      </p>
    );
  return null;
}

export function SubmitButton({
  children,
  name,
  value,
  pending,
  variant = "primary",
}: {
  children: ReactNode;
  name?: string;
  value?: string;
  pending?: boolean;
  variant?: "primary" | "secondary" | "danger";
}) {
  return (
    <button type="submit" name={name} value={value} disabled={pending} className={`btn btn--${variant}`}>
      {children}
    </button>
  );
}

/**
 * The one card layout of the account pages: centred, a title, the publication's logo/name/accent
 * when reached from one (with a way back), the form, and a footer of links.
 */
export function AuthCard({
  title,
  intro,
  branding = null,
  footer,
  wide = false,
  children,
}: {
  title: string;
  intro?: ReactNode;
  branding?: CardBranding;
  footer?: ReactNode;
  wide?: boolean;
  children: ReactNode;
}) {
  const style = branding ? ({ "--brand-light": branding.accent.light, "--brand-dark": branding.accent.dark } as CSSProperties) : undefined;
  return (
    <main id="main" className={`auth${branding ? " auth--branded" : ""}`} style={style}>
      <div className={`auth-card${wide ? " auth-card--wide" : ""}`}>
        {branding ? (
          <div className="auth-card__brand" data-testid="auth-branding">
            {branding.logoUrl ? (
              <img src={branding.logoUrl} alt="" className="auth-card__logo" width={48} height={48} />
            ) : (
              <span className="auth-card__initials" aria-hidden="true">
                {initialsOf(branding.name)}
              </span>
            )}
            <span className="auth-card__site">{branding.name}</span>
          </div>
        ) : null}
        <h1 className="auth-card__title">{title}</h1>
        {intro ? <div className="auth-card__intro">{intro}</div> : null}
        {children}
        {footer ? <div className="auth-card__footer">{footer}</div> : null}
      </div>
      {branding ? (
        <p className="auth__back">
          <a href={branding.home} data-testid="auth-back">
            ← Back to {branding.name}
          </a>
        </p>
      ) : null}
    </main>
  );
}

/** Up to two initials of a name, for a logo stand-in. */
export function initialsOf(name: string): string {
  const words = name.replace(/^the\s+/i, "").split(/\s+/).filter(Boolean);
  return (
    words
      .slice(0, 2)
      .map((w) => w[0]!.toUpperCase())
      .join("") || "·"
  );
}
