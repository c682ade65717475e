/// <reference types="vite/client" />
// Every module of the fixture app, including `_generated/` (convex-test finds
// the functions root from it). Files with two or more dots (tests, configs,
// `*.d.ts`) are excluded, as the Convex bundler does.
export const modules = import.meta.glob("../fixture/convex/**/!(*.*.*)*.*s");
