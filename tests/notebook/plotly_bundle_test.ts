import assert from "node:assert/strict";
import { packedPlotlyLoaderScript } from "../../lib/notebook/plotly_bundle.ts";

Deno.test("packedPlotlyLoaderScript() is one valid script, under half of plotly.js's size", () => {
  const html = packedPlotlyLoaderScript();
  const body = html.replace(/^<script type="text\/javascript">/, "").replace(/<\/script>$/, "");
  assert.ok(!body.includes("<script") && !body.includes("</script"));
  new Function(body); // throws a SyntaxError if the generated JavaScript does not parse
  assert.match(body, /DecompressionStream\("gzip"\)/);
  assert.ok(html.length < 550_000, `loader is ${html.length} bytes`);
});
