// The one money formatter, for the reader's plan prices and the studio's plans and payments.
// Amounts are in cents; an unknown currency code falls back to "12.00 XYZ" instead of throwing.

/**
 * "$12.00". With `wholeWithoutCents`, whole amounts drop their cents ("$7") — the reader's plan
 * prices; the studio always shows cents.
 */
export function formatMoney(cents: number, currency: string, options: { wholeWithoutCents?: boolean } = {}): string {
  const code = currency.toUpperCase();
  try {
    return new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: code,
      ...(options.wholeWithoutCents ? { minimumFractionDigits: cents % 100 === 0 ? 0 : 2 } : {}),
    }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${code}`;
  }
}
