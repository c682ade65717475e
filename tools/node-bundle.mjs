// How the project's own server code is compiled to run on plain `node` (issue #18): one ESM file
// for Node 20, with packages loaded from node_modules as under tsx, so only our own modules are
// compiled. Used by tools/build.mjs (the app server) and tools/launch.mjs (npm start). Plain
// JavaScript: both run before anything is built.
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
};
