/** A module set that cannot be loaded (bundling, analysis, external packages): the push is refused with its message. */
export class ModuleLoadError extends Error {
  override name = "ModuleLoadError";
}
