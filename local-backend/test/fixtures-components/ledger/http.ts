import { httpActionGeneric, httpRouter } from "convex/server";
import { api } from "./_generated/api";

const http = httpRouter();

http.route({
  path: "/entries",
  method: "GET",
  handler: httpActionGeneric(async (ctx) => Response.json(await ctx.runQuery(api.lib.list, {}))),
});

export default http;
