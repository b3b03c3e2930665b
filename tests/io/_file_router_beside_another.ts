/**
 * Registers a `file://` router standing for tfjs-node's (which routes every `file://` URL)
 * before or after importing `lib/io/mod.ts` (which registers the project's routers), or none,
 * then saves and loads a model by URL. Run by `file_router_test.ts`:
 *
 * ```
 * deno run -A tests/io/_file_router_beside_another.ts before|after|none DIR
 * ```
 *
 * stdout gets one JSON line: how many handlers each URL found, and which router saved and
 * loaded (`"other"` or `"project"`).
 */
import * as tf from "@tensorflow/tfjs";

const [order, dir] = Deno.args;
if (!["before", "after", "none"].includes(order) || !dir) {
  console.error("usage: _file_router_beside_another.ts before|after|none DIR");
  Deno.exit(2);
}
await tf.setBackend("cpu");

const used: string[] = [];
/** What tfjs-node registers: a handler for every `file://` URL. */
function registerOther(): void {
  const router = (url: string | string[]) => {
    if (typeof url !== "string" || !url.startsWith("file://")) return null as never;
    return {
      save: (artifacts: tf.io.ModelArtifacts) => {
        used.push("other save");
        return Promise.resolve({
          modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
        });
      },
      load: () => {
        used.push("other load");
        return Promise.reject(new Error("the other router loads nothing"));
      },
    };
  };
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}

if (order === "before") registerOther();
await import("../../lib/io/mod.ts");
if (order === "after") registerOther();

const url = `file://${dir}`;
const saveHandlers = tf.io.getSaveHandlers(url).length;
const loadHandlers = tf.io.getLoadHandlers(`${url}/model.json`).length;
const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
await model.save(url);
const projectWrote = await Deno.stat(`${dir}/model.json`).then(() => true, () => false);
const loaded = await tf.loadLayersModel(`${url}/model.json`).then(
  (m) => m.layers.length === 1,
  () => false,
);
console.log(JSON.stringify({ saveHandlers, loadHandlers, used, projectWrote, loaded }));
