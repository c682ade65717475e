// A response whose body is already one string or byte array in memory (a rendered reader page, a
// stored response) is also kept here, so the production server writes it to the socket as it is
// (app/server/index.ts), not through the Response's web stream, which is read chunk by chunk with a
// promise per read (issue #18's profile: ~8% of an uncached page's samples). The Response keeps its
// own body too: every other reader of it (Remix, the response cache, tests) reads the stream as usual.

const bodies = new WeakMap<Response, string | Uint8Array>();

/** `response`, noted as having exactly `body` for its body. */
export function withWholeBody(response: Response, body: string | Uint8Array): Response {
  bodies.set(response, body);
  return response;
}

/** The body `response` was made with, if it was made by withWholeBody and nobody has read it since. */
export function wholeBody(response: Response): string | Uint8Array | undefined {
  // A body someone already read (or locked) is not the server's to send again: fall back to the stream.
  if (response.bodyUsed || response.body?.locked) return undefined;
  return bodies.get(response);
}
