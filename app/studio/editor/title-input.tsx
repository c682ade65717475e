import { FIELDS, fieldProps } from "../../../convex/shared/fields";

/** The post's title above the editor (the new-post page and the post editor). */
export function TitleInput({ value, readOnly, onChange }: { value: string; readOnly: boolean; onChange: (title: string) => void }) {
  return (
    <>
      <label htmlFor="post-title" className="st-visually-hidden">
        Title
      </label>
      <input
        id="post-title"
        className="st-title-input"
        placeholder="Title"
        value={value}
        readOnly={readOnly}
        {...fieldProps(FIELDS.postTitle)}
        onChange={(e) => onChange(e.target.value)}
        data-testid="post-title"
      />
    </>
  );
}
