import { httpActionGeneric as httpAction, httpRouter } from "convex/server";

const http = httpRouter();

const meta = httpAction(async (ctx) => Response.json(await ctx.meta.getFunctionMetadata()));
http.route({ path: "/meta", method: "GET", handler: meta });
http.route({ pathPrefix: "/prefixed/", method: "POST", handler: meta });

export default http;
