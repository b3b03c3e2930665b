/**
 * A static picture inside an HTML output: an `<img>` whose `src` is the SVG itself as a
 * `data:` URI. HTML sanitizers of untrusted notebooks (JupyterLab's, Notebook 6's) keep an
 * `<img>` with a `data:` source but drop inline `<svg>` elements, so this is the form that
 * shows everywhere.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { PlotlyFigure } from "./plot.ts";
import { escapeXml, figureSvg } from "./svg_chart.ts";

/** Options for {@linkcode figurePicture}. */
export interface FigurePictureOptions {
  /** Width to draw the picture at, in pixels. */
  widthPx: number;
  /** Height to draw the picture at, in pixels. */
  heightPx: number;
  /** Text for readers that do not show images. */
  alt: string;
  /** The `class` attribute of the `<img>`. */
  className: string;
}

/**
 * A figure's static picture: its SVG (drawn by `figureSvg` at `widthPx` by `heightPx`) and
 * an `<img>` showing it from a base64 `data:image/svg+xml` URI, at most as wide as its output
 * (keeping its aspect ratio).
 */
export function figurePicture(
  fig: PlotlyFigure,
  options: FigurePictureOptions,
): { svg: string; img: string } {
  const { widthPx, heightPx } = options;
  const svg = figureSvg(fig, { widthPx, heightPx });
  const uri = `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
  const img = `<img class="${escapeXml(options.className)}" alt="${
    escapeXml(options.alt)
  }" width="${widthPx}" height="${heightPx}" style="max-width: 100%; height: auto;" src="${uri}">`;
  return { svg, img };
}
