/**
 * Stands in for `node:crypto` in the browser bundles (`bundle.ts`): the vocabulary module
 * imports it for its fingerprint, which the page never computes.
 *
 * @module
 */

/** Throws: the page computes no hashes. */
export function createHash(algorithm: string): never {
  throw new Error(`node:crypto is not available in the browser (createHash ${algorithm})`);
}
