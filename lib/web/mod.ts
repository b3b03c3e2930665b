/**
 * The run as a web page: `exportRun` writes a static folder that generates and plays music
 * in the browser (`deno task export`); `generateInPage` is the page's generation, which runs
 * in Deno too; `browserScript` bundles the page and the notebook player.
 *
 * The browser-only modules (the page, the player, the piano roll) are not re-exported here.
 *
 * @module
 */
export * from "./bundle.ts";
export * from "./export_run.ts";
export * from "./generate_in_page.ts";
export * from "./player_data.ts";
export * from "./run_data.ts";
