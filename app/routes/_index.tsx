import type { MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { convexClient } from "../utils/convex.server";
import { Live } from "../utils/live";

export const meta: MetaFunction = () => [
  { title: "Pressroom: independent publications" },
  { name: "description", content: "Pressroom hosts independent publications: write, publish, and get paid by readers." },
];

export async function loader() {
  const sites = await convexClient().query(api.sites.listDirectory, {});
  return { sites };
}

export default function Index() {
  const { sites } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="page">
      <header>
        <h1>Pressroom</h1>
        <p className="lede">Independent publications: write in a calm editor, publish on your own terms, get paid by readers.</p>
      </header>
      <section aria-labelledby="directory-heading">
        <h2 id="directory-heading">Publications</h2>
        <Live query={api.sites.listDirectory} args={{}} initial={sites}>
          {(list) =>
            list.length === 0 ? (
              <p data-testid="directory-empty">No publications yet.</p>
            ) : (
              <ul data-testid="directory">
                {list.map((s) => (
                  <li key={s.slug}>
                    <a href={`/${s.slug}/`}>{s.name}</a>
                    {s.description ? <p>{s.description}</p> : null}
                  </li>
                ))}
              </ul>
            )
          }
        </Live>
      </section>
    </main>
  );
}
