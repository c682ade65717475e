/** A plain-text answer of the HTTP actions (webhooks, one-click unsubscribe): status and readable text. */
export const plainText = (status: number, body: string) =>
  new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
