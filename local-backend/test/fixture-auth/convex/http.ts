import { httpRouter } from "convex/server";
import { auth } from "./auth";
import { httpAction } from "./_generated/server";

const http = httpRouter();
auth.addHttpRoutes(http);
http.route({
  path: "/whoami",
  method: "GET",
  handler: httpAction(async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    return new Response(JSON.stringify({ subject: identity?.subject ?? null }), {
      headers: { "Content-Type": "application/json" },
    });
  }),
});
http.route({
  pathPrefix: "/echo/",
  method: "POST",
  handler: httpAction(async (_ctx, request) => {
    const body = await request.text();
    return new Response(`${new URL(request.url).pathname}:${body}`, { status: 201, headers: { "X-Echo": "yes" } });
  }),
});
export default http;
