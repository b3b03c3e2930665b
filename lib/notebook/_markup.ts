/**
 * Private helpers for the markup the notebook outputs write (`display.ts`, `player.ts`,
 * `training.ts`, `svg_chart.ts`): escaped text, JSON inside a `<script>`, a plotly title's text.
 *
 * @module
 */

/** Text safe inside HTML (or SVG) elements and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** JSON that is safe inside a `<script>` element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** The text of a plotly title (`"x"` or `{text: "x"}`), or `fallback` when it has none. */
export function titleText(title: unknown, fallback = ""): string {
  if (typeof title === "string") return title;
  if (title && typeof title === "object") {
    const text = (title as { text?: unknown }).text;
    if (typeof text === "string") return text;
  }
  return fallback;
}
