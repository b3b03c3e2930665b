/**
 * The checks every config value goes through: one error shape for every setting,
 * `config: <setting>: expected <what>, got <value>`.
 *
 * @module
 */

/**
 * Throws unless `ok`.
 *
 * @throws {Error} `config: <setting>: expected <expected>, got <got as JSON>`
 */
export function check(ok: boolean, setting: string, expected: string, got: unknown): void {
  if (!ok) throw new Error(`config: ${setting}: expected ${expected}, got ${JSON.stringify(got)}`);
}

/** Whether `v` is an integer above 0. */
export function isPositiveInt(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) > 0;
}

/** Whether `v` is a rate in [0, 1). */
export function isRate(v: unknown): boolean {
  return typeof v === "number" && v >= 0 && v < 1;
}
