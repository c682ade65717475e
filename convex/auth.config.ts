// Convex verifies the JWTs @convex-dev/auth issues (convex/auth.ts) against this deployment's own
// OIDC discovery and JWKS routes (served by auth.addHttpRoutes in convex/http.ts).
// Convex reads this file at push; it keeps the documented form rather than importing ./env.
export default {
  // eslint-disable-next-line no-restricted-properties
  providers: [{ domain: process.env.CONVEX_SITE_URL, applicationID: "convex" }],
};
