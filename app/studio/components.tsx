// Small pieces shared by the studio pages. Plain forms first: they post without JavaScript, and
// Remix's <Form>/fetchers make them smoother once hydrated.
import { Link } from "@remix-run/react";
import { useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";
import type { PostStatus } from "../../convex/shared/constants";
import type { FormErrors } from "./errors";

type Common = { label: string; name: string; error?: string; hint?: ReactNode; id?: string };

function describedBy(id: string, error?: string, hint?: ReactNode) {
  return [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
}

function FieldShell({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="st-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <small id={`${id}-hint`} className="st-hint">
          {hint}
        </small>
      ) : null}
      <FieldError id={id} error={error} />
    </div>
  );
}

/** A field's error under it: the id its input's aria-describedby names (describedBy). */
export function FieldError({ id, error }: { id: string; error?: string | null }) {
  return error ? (
    <p id={`${id}-error`} className="st-error" role="alert" data-testid={`error-${id}`}>
      {error}
    </p>
  ) : null;
}

/** A labelled input with its error (announced, and linked through aria-describedby). */
export function TextField({ label, name, error, hint, id, ...rest }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const inputId = id ?? `f-${name}`;
  return (
    <FieldShell id={inputId} label={label} error={error} hint={hint}>
      <input id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, error, hint)} {...rest} />
    </FieldShell>
  );
}

export function TextArea({ label, name, error, hint, id, ...rest }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const inputId = id ?? `f-${name}`;
  return (
    <FieldShell id={inputId} label={label} error={error} hint={hint}>
      <textarea id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, error, hint)} {...rest} />
    </FieldShell>
  );
}

export function SelectField({ label, name, error, hint, id, children, ...rest }: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  const inputId = id ?? `f-${name}`;
  return (
    <FieldShell id={inputId} label={label} error={error} hint={hint}>
      <select id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, error, hint)} {...rest}>
        {children}
      </select>
    </FieldShell>
  );
}

/** A form-level error or notice. */
export function FormMessage({ errors, notice }: { errors?: FormErrors; notice?: string }) {
  if (errors?.form) {
    return (
      <p className="st-error st-message" role="alert" data-testid="form-error">
        {errors.form}
      </p>
    );
  }
  if (notice) {
    return (
      <p className="st-notice st-message" role="status" data-testid="form-notice">
        {notice}
      </p>
    );
  }
  return null;
}

const STATUS_LABEL: Record<PostStatus, string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  published: "Published",
  archived: "Archived",
};

export function StatusBadge({ status, extra }: { status: PostStatus; extra?: string }) {
  return (
    <span className={`st-badge st-badge--${status}`} data-testid="post-status">
      {STATUS_LABEL[status]}
      {extra ? ` · ${extra}` : ""}
    </span>
  );
}

/**
 * A destructive button that asks first, in the page (no window.confirm): the first click shows
 * "Really …?" with the confirming button and Cancel.
 */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  disabled,
  className = "st-button st-button--danger",
  type = "button",
  name,
  value,
}: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm?: () => void;
  disabled?: boolean;
  className?: string;
  /** "submit" makes the confirming button submit the enclosing form (with name/value). */
  type?: "button" | "submit";
  name?: string;
  value?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={className} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="st-confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type={type}
        name={name}
        value={value}
        className="st-button st-button--danger"
        onClick={() => {
          if (type === "button") setAsking(false);
          onConfirm?.();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="st-button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Cursor pagination: "First page" back to the start, "Next page" with the continue cursor. */
export function Pager({ base, params, cursor, nextCursor }: { base: string; params: URLSearchParams; cursor: string | null; nextCursor: string | null }) {
  const href = (c: string | null) => {
    const p = new URLSearchParams(params);
    if (c) p.set("cursor", c);
    else p.delete("cursor");
    const q = p.toString();
    return q ? `${base}?${q}` : base;
  };
  if (!cursor && !nextCursor) return null;
  return (
    <nav className="st-pager" aria-label="Pages">
      {cursor ? <Link to={href(null)}>← First page</Link> : <span />}
      {nextCursor ? <Link to={href(nextCursor)}>Next page →</Link> : null}
    </nav>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="st-empty">{children}</p>;
}
