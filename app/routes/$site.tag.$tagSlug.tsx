import type { LoaderFunctionArgs } from "@remix-run/node";
import { readerHeaders } from "../reader/http.server";
import { TaxonomyErrorBoundary, TaxonomyPage, taxonomyMeta } from "../reader/taxonomy-page";
import { taxonomyLoader } from "../reader/taxonomy.server";

// /{site}/tag/{tagSlug}: the tag's description and post count, then its posts, newest first.
// A renamed or merged tag's old slug 301s to the tag's current page.
// Loader and page are shared with the other kind (app/reader/taxonomy*.ts[x]).

export const loader = (args: LoaderFunctionArgs) => taxonomyLoader("tag", args);

export const headers = readerHeaders;

export default function TagPage() {
  return <TaxonomyPage kind="tag" />;
}

export const meta = taxonomyMeta("tag");

export const ErrorBoundary = TaxonomyErrorBoundary;
