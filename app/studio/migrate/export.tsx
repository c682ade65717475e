// Export: the whole site in open formats, so nothing is locked in. Plain download links to the
// export routes (Ghost JSON and Markdown zip stream from studio.$siteId.export.*; the members CSV is
// the audience's export route).

const EXPORTS = [
  {
    path: "export/ghost.json",
    label: "Ghost JSON",
    testId: "export-ghost",
    what: "Every post (as HTML and in Ghost's editor format), tags (a post's category becomes its first tag), authors and how they relate, in Ghost 5's export format: Ghost's own importer (Settings → Labs → Import) accepts it, and so does this page.",
  },
  {
    path: "export/markdown.zip",
    label: "Markdown + images (zip)",
    testId: "export-markdown",
    what: "One Markdown file per post, every status, with its title, address, dates and tags as YAML front matter, plus the images uploaded here: for static site generators or your own archive.",
  },
  {
    path: "audience/export.csv",
    label: "Members CSV",
    testId: "export-members",
    what: "Every member's address, name, access and newsletters. Ghost, Substack and this site's member import read it.",
  },
] as const;

export function ExportPanel({ siteId }: { siteId: string }) {
  return (
    <section className="st-card" aria-labelledby="export-title" data-testid="export-panel">
      <h2 id="export-title">Export</h2>
      <p>Download your publication at any time. Large sites stream as they are written, so the download starts at once.</p>
      <ul className="st-migrate-exports">
        {EXPORTS.map((e) => (
          <li key={e.path}>
            <a href={`/studio/${siteId}/${e.path}`} className="st-button" download data-testid={e.testId}>
              {e.label}
            </a>
            <p className="st-hint">{e.what}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
