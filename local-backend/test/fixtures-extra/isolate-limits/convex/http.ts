import { httpActionGeneric, httpRouter } from "convex/server";

const http = httpRouter();
http.route({
  path: "/echo",
  method: "POST",
  handler: httpActionGeneric(async (_ctx, request) =>
    new Response(`echo:${await request.text()}`, { status: 201, headers: { "X-Isolate": "worker" } }),
  ),
});
http.route({
  path: "/loop",
  method: "GET",
  handler: httpActionGeneric(async () => {
    for (;;) {
      // A stuck HTTP action.
    }
  }),
});
export default http;
