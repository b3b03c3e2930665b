/**
 * A large script for a notebook output, packed (gzip, then base64) and unpacked by the
 * browser, run once per page however many outputs carry it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { gzipSync } from "node:zlib";

/** How {@linkcode packedScriptTag} runs its script. */
export interface PackedScriptOptions {
  /** A global the tag sets while loading, so a second copy on the page waits instead. */
  flag: string;
  /** JavaScript run first; it `return`s when the script is already there. */
  whenLoaded: string;
  /**
   * Run the source with `define`, `exports` and `module` hidden, so a UMD bundle (plotly)
   * sets its window global instead of looking for a module loader.
   * @default {false}
   */
  hideModuleLoaders?: boolean;
}

/** A `<script>` tag that unpacks `source` and runs it, once per page. */
export function packedScriptTag(source: string, options: PackedScriptOptions): string {
  const packed = Buffer.from(gzipSync(Buffer.from(source), { level: 9 })).toString("base64");
  const run = options.hideModuleLoaders
    ? `"(function (define, exports, module) {\\n" + source + "\\n}).call(window);"`
    : "source";
  return `<script type="text/javascript">(function () {
  ${options.whenLoaded}
  if (window.${options.flag}) return;
  window.${options.flag} = true;
  var text = atob("${packed}");
  var bytes = new Uint8Array(text.length);
  for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(stream).text().then(function (source) {
    var script = document.createElement("script");
    script.text = ${run};
    document.head.appendChild(script);
  });
})();</script>`;
}
