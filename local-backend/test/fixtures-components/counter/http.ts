import { httpActionGeneric, httpRouter } from "convex/server";
import { api } from "./_generated/api";

const http = httpRouter();

/** Answers under the prefix the app mounts the component at; reads the component's own table. */
http.route({
  path: "/count",
  method: "GET",
  handler: httpActionGeneric(async (ctx, request) => {
    const name = new URL(request.url).searchParams.get("name") ?? "";
    const value: number = await ctx.runQuery(api.lib.get, { name });
    const identity = await ctx.auth.getUserIdentity();
    return new Response(JSON.stringify({ value, identity }), { headers: { "Content-Type": "application/json" } });
  }),
});

export default http;
