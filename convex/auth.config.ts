// Convex verifies the JWTs @convex-dev/auth issues (convex/auth.ts) against this deployment's own
// OIDC discovery and JWKS routes (served by auth.addHttpRoutes in convex/http.ts).
export default {
  providers: [{ domain: process.env.CONVEX_SITE_URL, applicationID: "convex" }],
};
