/**
 * The colours the notebook figures share: plotly's default trace colours, for the figures
 * (`plot.ts`) and their static pictures (`svg_chart.ts`).
 *
 * @module
 */

/** plotly's default colours (its `colorway`), in order. */
export const PLOTLY_COLORWAY: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];
