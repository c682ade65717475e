import { parse } from "csv-parse/browser/esm/sync";
import { checkField, FIELDS } from "../shared/fields";
import type { AudienceEmailState } from "../validators";

// Members CSV files as plain code (no database): which exporter wrote a file (Pressroom, Substack,
// Ghost, or any CSV with an email column), one row mapped to a member, the file cut into chunks of
// whole records for a bounded-memory parse (csv-parse does the CSV), and safe cells for the export.

/** Files above this are refused before parsing (the action holds the file while it reads it). */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** Rows above this are refused (the duplicate check keeps one address per row in memory). */
export const MAX_IMPORT_ROWS = 100_000;
/** An import keeps the first this many row errors (and counts the rest). */
export const MAX_ROW_ERRORS = 100;

export const IMPORT_FORMATS = ["pressroom", "substack", "ghost", "csv"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const FORMAT_LABELS: Record<ImportFormat, string> = {
  pressroom: "Pressroom members export",
  substack: "Substack subscribers export",
  ghost: "Ghost members export",
  csv: "CSV with an email column",
};

/** Pressroom's export columns, in order (the importer reads them back). */
export const PRESSROOM_COLUMNS = ["email", "name", "access", "email_state", "source", "created_at", "newsletters"] as const;
/** Newsletter names in one cell of the export. */
export const NEWSLETTER_SEPARATOR = "; ";

/** One member as a row describes it (before it meets the database). */
export interface ImportedMember {
  email: string;
  name?: string;
  createdAt?: number;
  /** Paid elsewhere or comped there: comped here (nothing bills them here), else free. */
  access: "free" | "comped";
  /** The source said the member pays (counted, so the studio can say they became comped). */
  paidElsewhere: boolean;
  emailState: AudienceEmailState;
  /** Newsletter names (Pressroom exports); matched by name against the site's newsletters. */
  newsletters: string[];
}

export type Header = {
  format: ImportFormat;
  index: Map<string, number>;
  width: number;
};

const norm = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");

/**
 * The format a header row belongs to. Pressroom: `access` and `email_state`; Ghost:
 * `subscribed_to_emails` or `complimentary_plan`; Substack: `email_disabled`, `active_subscription`
 * or `prefer_digests`; else any file with an `email` column. @returns an error message without one.
 */
export function detectFormat(headerCells: string[]): Header | { error: string } {
  const names = headerCells.map(norm);
  const index = new Map<string, number>();
  names.forEach((n, i) => index.has(n) || index.set(n, i));
  if (!index.has("email")) {
    const alt = names.findIndex((n) => n === "email_address" || n === "e_mail");
    if (alt < 0)
      return {
        error: 'The file has no email column. The first row must name the columns, one of them "email".',
      };
    index.set("email", alt);
  }
  const has = (n: string) => index.has(n);
  const format: ImportFormat =
    has("access") && has("email_state")
      ? "pressroom"
      : has("subscribed_to_emails") || has("complimentary_plan")
      ? "ghost"
      : has("email_disabled") || has("active_subscription") || has("prefer_digests")
      ? "substack"
      : "csv";
  return { format, index, width: headerCells.length };
}

/** Export cells are escaped against spreadsheet formulas with a leading '; the importer undoes it. */
const FORMULA_START = /^[=+\-@\t\r]/;
function unescapeCell(cell: string): string {
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

const truthy = (s: string) => /^(true|yes|1|y)$/i.test(s.trim());

/** A date cell: empty is "not given"; anything Date.parse cannot read is an error. */
function dateCell(raw: string): number | undefined | { error: string } {
  const s = raw.trim();
  if (!s) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t) || t < 0 || t > 8.64e15) return { error: `"${s.slice(0, 40)}" is not a date.` };
  return t;
}

type Row = { ok: true; member: ImportedMember } | { ok: false; message: string };

/**
 * One data row as a member. Paid in the source (Ghost `stripe_customer_id`, Substack `type` paid /
 * founding / gift or an active subscription, Pressroom `paid`) becomes comped: their subscription
 * stays with the old platform, nothing bills them here, and they keep reading what they paid for.
 * Unsubscribed in the source (Ghost `subscribed_to_emails=false`, Substack `email_disabled=true`)
 * stays unsubscribed. `now` decides whether a Substack subscription has expired.
 */
export function mapRow(header: Header, cells: string[], now: number): Row {
  const cell = (name: string) => {
    const i = header.index.get(name);
    return i === undefined ? "" : unescapeCell(cells[i] ?? "").trim();
  };
  const email = checkField(FIELDS.email, cell("email"));
  if (!email.ok)
    return {
      ok: false,
      message: cell("email") ? `"${cell("email").slice(0, 60)}" is not a valid email address.` : "The email is empty.",
    };
  let name: string | undefined;
  const rawName = cell("name") || [cell("first_name"), cell("last_name")].filter(Boolean).join(" ");
  if (rawName) {
    const n = checkField(FIELDS.displayName, rawName);
    if (!n.ok) return { ok: false, message: `Name: ${n.message}` };
    name = n.value || undefined;
  }
  const created = dateCell(cell("created_at") || cell("created") || cell("subscription_date"));
  if (typeof created === "object") return { ok: false, message: `created_at: ${created.error}` };

  let paid = false;
  let comped = false;
  let emailState: AudienceEmailState = "subscribed";
  let newsletters: string[] = [];
  switch (header.format) {
    case "pressroom": {
      const access = cell("access").toLowerCase();
      if (!["free", "paid", "comped"].includes(access))
        return {
          ok: false,
          message: `access "${access.slice(0, 20)}" is not free, paid or comped.`,
        };
      paid = access === "paid";
      comped = access === "comped";
      const state = cell("email_state").toLowerCase();
      if (!["subscribed", "unsubscribed", "bounced", "complained"].includes(state)) {
        return {
          ok: false,
          message: `email_state "${state.slice(0, 20)}" is not subscribed, unsubscribed, bounced or complained.`,
        };
      }
      emailState = state as AudienceEmailState;
      newsletters = cell("newsletters")
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean)
        .slice(0, 50);
      break;
    }
    case "ghost": {
      const status = cell("status").toLowerCase();
      if (cell("deleted_at"))
        return {
          ok: false,
          message: "The member was deleted in Ghost; not imported.",
        };
      comped = truthy(cell("complimentary_plan")) || status === "comped";
      paid = !comped && (Boolean(cell("stripe_customer_id")) || status === "paid");
      if (header.index.has("subscribed_to_emails") && !truthy(cell("subscribed_to_emails"))) emailState = "unsubscribed";
      break;
    }
    case "substack": {
      const type = cell("type").toLowerCase();
      if (header.index.has("type") && type) {
        comped = type === "comp" || type === "gift";
        paid = !comped && type !== "free";
      } else {
        const expiry = dateCell(cell("expiry"));
        paid = truthy(cell("active_subscription")) && typeof expiry === "number" && expiry > now;
      }
      if (truthy(cell("email_disabled"))) emailState = "unsubscribed";
      break;
    }
    case "csv":
      break;
  }
  return {
    ok: true,
    member: {
      email: email.value,
      name,
      createdAt: created,
      access: paid || comped ? "comped" : "free",
      paidElsewhere: paid,
      emailState,
      newsletters,
    },
  };
}

/**
 * Cuts decoded text into runs of whole CSV records: a newline ends a record only outside quotes,
 * and in RFC 4180 that is where an even number of `"` precede it (an escaped quote is two).
 * `push` returns the whole records received so far (maybe ""); `end` returns the rest.
 */
export class RecordChunker {
  private pending = "";
  private quotes = 0; // quote count in `pending` up to `scanned`
  private scanned = 0;
  /** The longest a single record may be: more means an unclosed quote (or not a CSV). */
  static readonly MAX_RECORD_CHARS = 1_000_000;

  push(text: string): string {
    this.pending += text;
    let cut = -1;
    let quotes = this.quotes;
    for (let i = this.scanned; i < this.pending.length; i++) {
      const c = this.pending.charCodeAt(i);
      if (c === 34) quotes++;
      else if (c === 10 && quotes % 2 === 0) cut = i;
    }
    if (cut < 0) {
      this.scanned = this.pending.length;
      this.quotes = quotes;
      if (this.pending.length > RecordChunker.MAX_RECORD_CHARS) throw new CsvFileError("A quoted value is never closed (or a row is over 1 MB).");
      return "";
    }
    const out = this.pending.slice(0, cut + 1);
    this.pending = this.pending.slice(cut + 1);
    this.quotes = countQuotes(this.pending);
    this.scanned = this.pending.length;
    return out;
  }

  end(): string {
    const rest = this.pending;
    this.pending = "";
    return rest;
  }
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 34) n++;
  return n;
}

/** A file that cannot be imported at all (nothing is written); the message is for people. */
export class CsvFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvFileError";
  }
}

const CSV_MESSAGES: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: "a quoted value is never closed",
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a value is not doubled ("")',
  CSV_INVALID_OPENING_QUOTE: "a quote starts in the middle of a value",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "text follows a closing quote",
};

/**
 * Parses a run of whole records (from RecordChunker) into rows of cells. `firstRow` is the file row
 * number of the run's first record, for the error message. @throws CsvFileError.
 */
export function parseRecords(text: string, firstRow: number): string[][] {
  if (!text) return [];
  try {
    return parse(text, {
      relax_column_count: true,
      skip_empty_lines: false,
      bom: false,
    }) as string[][];
  } catch (error) {
    const e = error as { code?: string; records?: number };
    const what = (e.code && CSV_MESSAGES[e.code]) ?? "it is not valid CSV";
    throw new CsvFileError(`The file is not valid CSV: at row ${firstRow + (e.records ?? 0)}, ${what}.`);
  }
}

/** UTF-8 text from file bytes, chunk by chunk. @throws CsvFileError for binary or non-UTF-8 data. */
export class TextChunks {
  private decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  decode(bytes: Uint8Array, last: boolean): string {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: !last });
    } catch {
      throw new CsvFileError("The file is not a CSV text file (it is not UTF-8 text). Export it again as CSV (UTF-8).");
    }
    if (text.includes("\u0000")) throw new CsvFileError("The file is not a CSV text file (it holds binary data).");
    return text;
  }
}

/** One cell of an exported CSV: quoted when needed, and a leading = + - @ made inert with '. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One exported line (CRLF, as RFC 4180 and spreadsheets expect). */
export function csvLine(cells: string[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}
