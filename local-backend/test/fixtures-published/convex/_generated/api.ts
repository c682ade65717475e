// Hand-written stand-in for `convex codegen` output (untyped): the api objects the code imports.
import { anyApi, componentsGeneric } from "convex/server";

export const api: any = anyApi;
export const internal: any = anyApi;
export const components: any = componentsGeneric();
