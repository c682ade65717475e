// Small form pieces shared by the sign-in and account pages. Plain HTML forms: they work before
// (and without) JavaScript; Remix's <Form> only makes them smoother once hydrated.
import type { InputHTMLAttributes, ReactNode } from "react";

export type FormErrors = { form?: string; fields?: Record<string, string> };

const stack = { display: "grid", gap: "0.25rem", marginBottom: "1rem" } as const;
const input = { font: "inherit", padding: "0.45rem 0.6rem", maxWidth: "24rem" } as const;
const errorStyle = { color: "#b42318", margin: 0 } as const;

type FieldProps = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
};

/** A labelled input with its error (announced and linked through aria-describedby). */
export function Field({ label, name, error, hint, id, ...rest }: FieldProps) {
  const inputId = id ?? `field-${name}`;
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div style={stack}>
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        style={input}
        {...rest}
      />
      {hint ? (
        <small id={hintId} style={{ color: "var(--muted)" }}>
          {hint}
        </small>
      ) : null}
      {error ? (
        <p id={errorId} role="alert" style={errorStyle}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The form-level error (not tied to one field), or a status message. */
export function FormMessage({ error, notice }: { error?: string; notice?: string }) {
  if (error)
    return (
      <p role="alert" data-testid="form-error" style={{ ...errorStyle, marginBottom: "1rem" }}>
        {error}
      </p>
    );
  if (notice)
    return (
      <p role="status" data-testid="form-notice" style={{ marginBottom: "1rem" }}>
        {notice}
      </p>
    );
  return null;
}

export function SubmitButton({ children, name, value, pending }: { children: ReactNode; name?: string; value?: string; pending?: boolean }) {
  return (
    <button type="submit" name={name} value={value} disabled={pending} style={{ font: "inherit", padding: "0.45rem 1rem" }}>
      {children}
    </button>
  );
}
