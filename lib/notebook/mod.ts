/**
 * What the notebooks show: plotly figures (with their static SVG pictures), tables, audio, the
 * music player, the notebook session, and a training's progress bar and stop controls.
 *
 * @module
 */
export * from "./check.ts";
export * from "./corpus_figure.ts";
export * from "./display.ts";
export * from "./layer_shapes.ts";
export * from "./plot.ts";
export * from "./player.ts";
export * from "./plotly_bundle.ts";
export * from "./session.ts";
export * from "./svg_chart.ts";
export * from "./synth.ts";
export * from "./training.ts";
