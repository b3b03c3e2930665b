/**
 * plotly.js for notebook outputs and HTML files: read once from the
 * `plotly.js-basic-dist-min` npm package (scatter and bar traces; offline, no CDN) and packed
 * into a `<script>` that defines `window.Plotly`, either inlined as it is or gzip-compressed
 * and base64-encoded. `display.ts` puts these scripts beside the figures it shows.
 *
 * @module
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { packedScriptTag } from "./_packed_script.ts";

/** The npm package plotly.js comes from (scatter and bar traces, minified, MIT). */
const PLOTLY_PACKAGE = "plotly.js-basic-dist-min";

let plotlyJsCache: string | undefined;

/** Reads plotly.js from the `plotly.js-basic-dist-min` npm package, once per process. */
function plotlyJsSource(): string {
  if (plotlyJsCache !== undefined) return plotlyJsCache;
  const candidates: string[] = [];
  try {
    candidates.push(fileURLToPath(import.meta.resolve(PLOTLY_PACKAGE)));
  } catch { /* not resolvable this way; try the next */ }
  try {
    candidates.push(createRequire(import.meta.url).resolve(PLOTLY_PACKAGE));
  } catch { /* not resolvable this way; try the next */ }
  candidates.push(
    fileURLToPath(
      new URL(`../../node_modules/${PLOTLY_PACKAGE}/plotly-basic.min.js`, import.meta.url),
    ),
  );
  for (const path of candidates) {
    try {
      // "</script" or "<!--" inside the library would end or confuse the <script> element.
      plotlyJsCache = Deno.readTextFileSync(path)
        .replaceAll("</script", "<\\/script")
        .replaceAll("<!--", "<\\!--");
      return plotlyJsCache;
    } catch { /* try the next candidate */ }
  }
  throw new Error(
    `plotly.js: expected the npm package ${PLOTLY_PACKAGE} in node_modules (looked at ${
      candidates.join(", ")
    }), found none; run \`deno install\` in the project root`,
  );
}

let packedLoaderCache: string | undefined;

/**
 * A <script> that loads plotly.js from a gzip-compressed, base64 copy (about 0.47 MB instead
 * of 1.07 MB) with the browser's `DecompressionStream`, unless the page has it or is loading it.
 * Notebook outputs use it: besides keeping notebooks small, the Deno kernel has been seen to
 * garble (sign wrongly) very large messages under load, and the front end then drops them.
 * Figures drawn with `plotlyJs: "page"` wait for `window.Plotly` to appear.
 *
 * @throws {Error} when the plotly.js npm package is not installed
 */
export function packedPlotlyLoaderScript(): string {
  if (packedLoaderCache !== undefined) return packedLoaderCache;
  packedLoaderCache = packedScriptTag(plotlyJsSource(), {
    flag: "__midiLstmPlotlyLoading",
    whenLoaded: "if (window.Plotly) return;",
    hideModuleLoaders: true,
  });
  return packedLoaderCache;
}

/**
 * A <script> that defines `window.Plotly` from the inlined library (about 1.07 MB) unless the
 * page has it. Figures drawn with `plotlyJs: "inline"` carry it.
 *
 * @throws {Error} when the plotly.js npm package is not installed
 */
export function plotlyLoaderScript(): string {
  // Hide AMD/CommonJS globals (classic Jupyter has require.js) so the UMD wrapper sets
  // window.Plotly.
  return `<script type="text/javascript">if (!window.Plotly) {(function (define, exports, module) {\n${plotlyJsSource()}\n}).call(window);}</script>`;
}
