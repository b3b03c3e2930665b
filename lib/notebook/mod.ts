/**
 * What the notebooks show: plotly figures, tables, audio and the notebook session.
 *
 * @module
 */
export * from "./corpus_figure.ts";
export * from "./display.ts";
export * from "./plot.ts";
export * from "./session.ts";
export * from "./synth.ts";
