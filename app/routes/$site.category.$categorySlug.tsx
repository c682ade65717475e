import type { LoaderFunctionArgs } from "@remix-run/node";
import { readerHeaders } from "../reader/http.server";
import { TaxonomyErrorBoundary, TaxonomyPage, taxonomyMeta } from "../reader/taxonomy-page";
import { taxonomyLoader } from "../reader/taxonomy.server";

// /{site}/category/{categorySlug}: the category's description and post count, then its posts.
// A renamed category's old slug 301s to its current page.
// Loader and page are shared with the other kind (app/reader/taxonomy*.ts[x]).

export const loader = (args: LoaderFunctionArgs) => taxonomyLoader("category", args);

export const headers = readerHeaders;

export default function CategoryPage() {
  return <TaxonomyPage kind="category" />;
}

export const meta = taxonomyMeta("category");

export const ErrorBoundary = TaxonomyErrorBoundary;
