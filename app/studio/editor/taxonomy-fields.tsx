// The post's category and tags, applied at once (posts:setCategory / posts:setTags; on a published
// post they are live straight away, they are not part of the draft). Typing a tag suggests the
// site's tags; a new name is created on the fly (tags:create, authors and above) and added.
import { useConvex } from "convex/react";
import { useId, useState } from "react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { failureMessage } from "../errors";

type Tag = { _id: string; name: string; slug: string };
type Category = { _id: string; name: string };

export function CategoryField({
  siteId,
  postId,
  categoryId,
  categories,
  canCreate,
  disabled,
}: {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  categoryId: string | null;
  categories: Category[];
  canCreate: boolean;
  disabled: boolean;
}) {
  const convex = useConvex();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const id = useId();

  async function set(next: string | null) {
    setError(null);
    setPending(true);
    try {
      await convex.mutation(api.posts.setCategory, { siteId, postId, categoryId: next as Id<"categories"> | null });
    } catch (e) {
      setError(failureMessage(e));
    } finally {
      setPending(false);
    }
  }

  async function create() {
    const n = name.trim();
    if (!n) return;
    setError(null);
    setPending(true);
    try {
      const newId = await convex.mutation(api.categories.create, { siteId, name: n });
      await convex.mutation(api.posts.setCategory, { siteId, postId, categoryId: newId });
      setName("");
      setCreating(false);
    } catch (e) {
      setError(failureMessage(e));
    } finally {
      setPending(false);
    }
  }

  return (
    <div className="st-field">
      <label htmlFor={`${id}-category`}>Category</label>
      <select
        id={`${id}-category`}
        value={categoryId ?? ""}
        disabled={disabled || pending}
        onChange={(e) => {
          if (e.target.value === "__new") setCreating(true);
          else void set(e.target.value || null);
        }}
        data-testid="category-select"
      >
        <option value="">No category</option>
        {categories.map((c) => (
          <option key={c._id} value={c._id}>
            {c.name}
          </option>
        ))}
        {canCreate ? <option value="__new">New category…</option> : null}
      </select>
      {creating ? (
        <div className="st-inline-buttons">
          <label className="st-visually-hidden" htmlFor={`${id}-new-category`}>
            New category name
          </label>
          <input
            id={`${id}-new-category`}
            value={name}
            placeholder="New category name"
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                void create();
              }
            }}
          />
          <button type="button" className="st-button" onClick={() => void create()} disabled={pending}>
            Add
          </button>
          <button type="button" className="st-button" onClick={() => setCreating(false)}>
            Cancel
          </button>
        </div>
      ) : null}
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function TagsField({
  siteId,
  postId,
  tagIds,
  tags,
  canCreate,
  disabled,
}: {
  siteId: Id<"sites">;
  postId: Id<"posts">;
  tagIds: string[];
  tags: Tag[];
  canCreate: boolean;
  disabled: boolean;
}) {
  const convex = useConvex();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const id = useId();
  const byId = new Map(tags.map((t) => [t._id, t]));
  const query = text.trim().toLowerCase();
  const suggestions = query
    ? tags.filter((t) => !tagIds.includes(t._id) && (t.name.toLowerCase().includes(query) || t.slug.includes(query))).slice(0, 8)
    : [];

  async function save(next: string[]) {
    await convex.mutation(api.posts.setTags, { siteId, postId, tagIds: next as Id<"tags">[] });
  }

  async function add(nameOrTag: string | Tag) {
    setError(null);
    setPending(true);
    try {
      let tag = typeof nameOrTag === "string" ? tags.find((t) => t.name.toLowerCase() === nameOrTag.trim().toLowerCase()) : nameOrTag;
      if (!tag) {
        const name = (nameOrTag as string).trim();
        if (!name) return;
        if (!canCreate) {
          setError("Only authors and above create tags; choose an existing one.");
          return;
        }
        const newId = await convex.mutation(api.tags.create, { siteId, name });
        tag = { _id: newId, name, slug: "" };
      }
      if (!tagIds.includes(tag._id)) await save([...tagIds, tag._id]);
      setText("");
    } catch (e) {
      setError(failureMessage(e));
    } finally {
      setPending(false);
    }
  }

  async function remove(tagId: string) {
    setError(null);
    setPending(true);
    try {
      await save(tagIds.filter((t) => t !== tagId));
    } catch (e) {
      setError(failureMessage(e));
    } finally {
      setPending(false);
    }
  }

  return (
    <div className="st-field">
      <label htmlFor={`${id}-tags`}>Tags</label>
      <ul className="st-chips" aria-label="Tags on this post" data-testid="post-tags">
        {tagIds.map((tid) => (
          <li key={tid} className="st-chip">
            {byId.get(tid)?.name ?? "…"}
            <button type="button" aria-label={`Remove tag ${byId.get(tid)?.name ?? ""}`} onClick={() => void remove(tid)} disabled={disabled || pending}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={`${id}-tags`}
        value={text}
        disabled={disabled}
        placeholder={canCreate ? "Add a tag, Enter to add" : "Add an existing tag"}
        autoComplete="off"
        role="combobox"
        aria-expanded={suggestions.length > 0}
        aria-controls={`${id}-suggestions`}
        aria-autocomplete="list"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            if (text.trim()) void add(text);
          }
        }}
        data-testid="tag-input"
      />
      {suggestions.length ? (
        <ul id={`${id}-suggestions`} className="st-suggestions" role="listbox" aria-label="Matching tags">
          {suggestions.map((t) => (
            <li key={t._id} role="option" aria-selected={false}>
              <button type="button" onClick={() => void add(t)} disabled={pending}>
                {t.name}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="st-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
