/**
 * Stands in for `node:path` in the browser bundles (`bundle.ts`): the modules the page
 * shares with `lib/` import it for functions that read folders, which the page never calls.
 *
 * @module
 */

/** Throws: there are no file paths in the page. */
export function join(...parts: string[]): string {
  throw new Error(`node:path is not available in the browser (join ${parts.join(", ")})`);
}
