import type { MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { api } from "../../convex/_generated/api";
import { anonymousReaderClient } from "../reader/client.server";
import { Live } from "../utils/live";
import { PublicationList } from "../platform-home";

// The platform home: what Pressroom is, in one screen, the way in ("Start a publication" → sign-up
// → studio), and the newest publications with their latest posts (sites:listFeatured, bounded).
// The loader asks as nobody (the shared query cache), so the list is the same for every visitor.

export const meta: MetaFunction = () => [
  { title: "Pressroom: independent publications" },
  { name: "description", content: "Pressroom hosts independent publications: write, publish, send newsletters, and get paid by readers." },
];

export async function loader() {
  const sites = await anonymousReaderClient().query(api.sites.listFeatured, {});
  return { sites };
}

const VALUES = [
  { icon: "✉", title: "Email newsletters", text: "Every post can go to your readers' inboxes, with free and paid lists." },
  { icon: "$", title: "Paid subscriptions", text: "Readers subscribe through Stripe; subscriber-only posts stay locked for everyone else." },
  { icon: "◎", title: "Your domain, your design", text: "Pick a theme, fonts and colours, and publish on your own domain." },
];

export default function Index() {
  const { sites } = useLoaderData<typeof loader>();
  return (
    <main id="main" className="home">
      <section className="hero" aria-labelledby="home-title">
        <h1 id="home-title" className="hero__title">
          Pressroom
        </h1>
        <p className="hero__pitch">
          A home for independent publications. Write in a calm editor, publish a site readers choose for how it looks, send every post
          by email, and get paid by the people who read you.
        </p>
        <div className="hero__actions">
          <Link to="/signup?intent=publication" className="btn btn--primary">
            Start a publication
          </Link>
          <Link to="/login" className="btn btn--secondary">
            Sign in
          </Link>
        </div>
      </section>
      <ul className="values" aria-label="What you get">
        {VALUES.map((v) => (
          <li key={v.title} className="value">
            <span className="value__icon" aria-hidden="true">
              {v.icon}
            </span>
            <h2 className="value__title">{v.title}</h2>
            <p>{v.text}</p>
          </li>
        ))}
      </ul>
      <section aria-labelledby="directory-heading">
        <h2 id="directory-heading" className="featured__title">
          Publications on Pressroom
        </h2>
        <Live query={api.sites.listFeatured} args={{}} initial={sites}>
          {(list) => <PublicationList list={list} />}
        </Live>
      </section>
    </main>
  );
}
