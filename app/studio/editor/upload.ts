// Image uploads from the editor: straight to Convex file storage through a fresh upload URL.
import type { useConvex } from "convex/react";
import { api } from "../../../convex/_generated/api";
import type { Id } from "../../../convex/_generated/dataModel";
import { UserFacingError } from "../../../convex/shared/errors";

/** Uploads an image into Convex file storage (with progress) and returns the URL the post will use. */
export async function uploadImage(
  convex: ReturnType<typeof useConvex>,
  siteId: Id<"sites">,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<string> {
  const storageId = await uploadToStorage(convex, siteId, file, onProgress);
  const url = await convex.query(api.sites.getImageUrl, { siteId, storageId });
  if (!url) throw new UserFacingError("The upload failed. Please try again.");
  return url;
}

/** Uploads an image file to Convex file storage through a fresh upload URL; returns its storage id. */
export async function uploadToStorage(
  convex: ReturnType<typeof useConvex>,
  siteId: Id<"sites">,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<Id<"_storage">> {
  if (!/^image\/(png|jpeg|webp|gif)$/.test(file.type)) throw new UserFacingError("Use a PNG, JPEG, WebP or GIF image.");
  const uploadUrl = await convex.mutation(api.sites.generateUploadUrl, { siteId });
  return await new Promise<Id<"_storage">>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl);
    xhr.setRequestHeader("Content-Type", file.type);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve((JSON.parse(xhr.responseText) as { storageId: Id<"_storage"> }).storageId)
        : reject(new UserFacingError("The upload failed. Please try again."));
    xhr.onerror = () => reject(new UserFacingError("The upload failed. Please check your connection."));
    xhr.send(file);
  });
}
