import { Form, useActionData, useFetcher, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { FIELDS, fieldProps } from "../../convex/shared/fields";
import { can } from "../../convex/shared/roles";
import { ConfirmButton, EmptyState, FormMessage, Pager, SelectField, TextField } from "./components";
import { useStudioSite } from "./site";
import type { ActionReply } from "./studio.server";

// The studio's tag and category screen, one component for both kinds: the list with post counts,
// the create form, and per row rename and delete, plus merge (tags) or move up/down (categories).
// Who sees which controls follows shared/roles.ts: authors create tags, editors manage both.

export type TaxonomyKind = "tag" | "category";

export interface TaxonomyRow {
  _id: string;
  name: string;
  slug: string;
  description: string | null;
  postCount: number;
}

/** Everything the screen says or names differently per kind. */
const COPY = {
  tag: {
    title: "Tags",
    column: "Tag",
    idField: "tagId",
    testId: "tag",
    createPermission: "tag.create",
    cannotCreate: "Authors and above create tags.",
    empty: "No tags yet.",
    newLabel: "New tag",
    createLabel: "Create tag",
    deleteLabel: "Delete tag",
    deleteQuestion: (name: string) => `Delete “${name}”? Posts lose it.`,
    withDescription: false,
  },
  category: {
    title: "Categories",
    column: "Category",
    idField: "categoryId",
    testId: "category",
    createPermission: "taxonomy.manage",
    cannotCreate: "Editors and above manage categories.",
    empty: "No categories yet.",
    newLabel: "New category",
    createLabel: "Create category",
    deleteLabel: "Delete category",
    deleteQuestion: (name: string) => `Delete “${name}”? Its posts stay, without a category.`,
    withDescription: true,
  },
} as const;

/**
 * The screen. Tags come a page at a time (`pager`) and may be merged into another row of the page;
 * categories come all at once in their order and move up or down.
 */
export function TaxonomyScreen({
  kind,
  rows,
  pager,
}: {
  kind: TaxonomyKind;
  rows: TaxonomyRow[];
  pager?: { cursor: string | null; nextCursor: string | null };
}) {
  const site = useStudioSite();
  const [searchParams] = useSearchParams();
  const copy = COPY[kind];
  const manage = can(site.role, "taxonomy.manage");
  const order = rows.map((r) => r._id);
  return (
    <main id="main" className="st-page">
      <header className="st-page__header">
        <h1>{copy.title}</h1>
      </header>
      {can(site.role, copy.createPermission) ? <CreateTerm kind={kind} /> : <p className="st-muted">{copy.cannotCreate}</p>}
      {rows.length === 0 ? (
        <EmptyState>{copy.empty}</EmptyState>
      ) : (
        <table className="st-table st-table--cards" data-testid={`${kind === "tag" ? "tags" : "categories"}-table`}>
          <thead>
            <tr>
              <th scope="col">{copy.column}</th>
              <th scope="col">Published posts</th>
              {manage ? <th scope="col">Manage</th> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r._id} data-testid={`${copy.testId}-row`}>
                <td data-label={copy.column}>
                  <strong>{r.name}</strong> <span className="st-muted">/{r.slug}</span>
                  {copy.withDescription && r.description ? <div className="st-muted">{r.description}</div> : null}
                </td>
                <td data-label="Published posts">{r.postCount}</td>
                {manage ? (
                  <td data-label="Manage">
                    <ManageTerm
                      kind={kind}
                      row={r}
                      others={rows.filter((o) => o._id !== r._id)}
                      order={order}
                      first={i === 0}
                      last={i === rows.length - 1}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pager ? (
        <Pager base={`/studio/${site._id}/tags`} params={searchParams} cursor={pager.cursor} nextCursor={pager.nextCursor} />
      ) : null}
    </main>
  );
}

function CreateTerm({ kind }: { kind: TaxonomyKind }) {
  const copy = COPY[kind];
  const result = useActionData<ActionReply>();
  const navigation = useNavigation();
  const formRef = useRef<HTMLFormElement>(null);
  const mine = result?.intent === "create" ? result : undefined;
  useEffect(() => {
    if (mine?.ok) formRef.current?.reset();
  }, [mine]);
  return (
    <Form method="post" className="st-form st-form--inline st-card" ref={formRef}>
      <input type="hidden" name="intent" value="create" />
      <FormMessage errors={mine?.errors} notice={mine?.notice} />
      <TextField label={copy.newLabel} name="name" required {...fieldProps(FIELDS.taxonomyName)} error={mine?.errors?.fields?.name} />
      <TextField label="Address (optional)" name="slug" {...fieldProps(FIELDS.slug)} error={mine?.errors?.fields?.slug} />
      {copy.withDescription ? (
        <TextField
          label="Description (optional)"
          name="description"
          {...fieldProps(FIELDS.taxonomyDescription)}
          error={mine?.errors?.fields?.description}
        />
      ) : null}
      <button type="submit" className="st-button st-button--primary" disabled={navigation.state === "submitting"}>
        {copy.createLabel}
      </button>
    </Form>
  );
}

function ManageTerm({
  kind,
  row,
  others,
  order,
  first,
  last,
}: {
  kind: TaxonomyKind;
  row: TaxonomyRow;
  others: TaxonomyRow[];
  order: string[];
  first: boolean;
  last: boolean;
}) {
  const copy = COPY[kind];
  const fetcher = useFetcher<ActionReply>();
  const [mode, setMode] = useState<"idle" | "rename" | "merge">("idle");
  const result = fetcher.data;
  useEffect(() => {
    if (result?.ok) setMode("idle");
  }, [result]);
  const idInput = <input type="hidden" name={copy.idField} value={row._id} />;
  const cancel = (
    <button type="button" className="st-button" onClick={() => setMode("idle")}>
      Cancel
    </button>
  );
  const deleteButton = (
    <ConfirmButton label="Delete" confirmLabel={copy.deleteLabel} question={copy.deleteQuestion(row.name)} type="submit" name="intent" value="delete" />
  );
  return (
    <div className="st-row-actions">
      <FormMessage errors={result?.errors?.form ? result.errors : undefined} notice={result?.notice} />
      {mode === "rename" ? (
        <fetcher.Form method="post" className="st-form st-form--inline">
          <input type="hidden" name="intent" value="rename" />
          {idInput}
          <TextField
            label="Name"
            name="name"
            id={`rename-${row._id}`}
            defaultValue={row.name}
            required
            {...fieldProps(FIELDS.taxonomyName)}
            error={result?.errors?.fields?.name}
          />
          <TextField label="Address" name="slug" id={`slug-${row._id}`} defaultValue={row.slug} {...fieldProps(FIELDS.slug)} error={result?.errors?.fields?.slug} />
          {copy.withDescription ? (
            <TextField
              label="Description"
              name="description"
              id={`desc-${row._id}`}
              defaultValue={row.description ?? ""}
              {...fieldProps(FIELDS.taxonomyDescription)}
              error={result?.errors?.fields?.description}
            />
          ) : null}
          <button type="submit" className="st-button st-button--primary">
            Save
          </button>
          {cancel}
        </fetcher.Form>
      ) : mode === "merge" ? (
        <fetcher.Form method="post" className="st-form st-form--inline">
          <input type="hidden" name="intent" value="merge" />
          {idInput}
          <SelectField label={`Merge “${row.name}” into`} name="targetId" id={`merge-${row._id}`} error={result?.errors?.fields?.targetId} defaultValue="">
            <option value="" disabled>
              Choose a tag
            </option>
            {others.map((o) => (
              <option key={o._id} value={o._id}>
                {o.name}
              </option>
            ))}
          </SelectField>
          <button type="submit" className="st-button st-button--primary">
            Merge
          </button>
          {cancel}
        </fetcher.Form>
      ) : kind === "tag" ? (
        <fetcher.Form method="post" className="st-inline-buttons">
          {idInput}
          <button type="button" className="st-button" onClick={() => setMode("rename")}>
            Rename
          </button>
          {others.length ? (
            <button type="button" className="st-button" onClick={() => setMode("merge")}>
              Merge…
            </button>
          ) : null}
          {deleteButton}
        </fetcher.Form>
      ) : (
        <>
          <fetcher.Form method="post" className="st-inline-buttons">
            {idInput}
            {order.map((id) => (
              <input key={id} type="hidden" name="order" value={id} />
            ))}
            <input type="hidden" name="intent" value="move" />
            <button type="submit" name="direction" value="up" className="st-button" disabled={first} aria-label={`Move ${row.name} up`}>
              ↑
            </button>
            <button type="submit" name="direction" value="down" className="st-button" disabled={last} aria-label={`Move ${row.name} down`}>
              ↓
            </button>
            <button type="button" className="st-button" onClick={() => setMode("rename")}>
              Rename
            </button>
          </fetcher.Form>
          <fetcher.Form method="post" className="st-inline-buttons">
            {idInput}
            {deleteButton}
          </fetcher.Form>
        </>
      )}
    </div>
  );
}
