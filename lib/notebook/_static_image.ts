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

/** Options for {@linkcode svgImageTag}. */
export interface SvgImageTagOptions {
  /** Width the picture was drawn at, in pixels. */
  widthPx: number;
  /** Height the picture was drawn at, in pixels. */
  heightPx: number;
  /**
   * Text for readers that do not show images.
   * @default {"figure"}
   */
  alt?: string;
  /**
   * The `class` attribute.
   * @default {"midi-lstm-static"}
   */
  className?: string;
}

/** The SVG as a base64 `data:image/svg+xml` URI. */
function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
}

/** An `<img>` showing `svg`, at most as wide as its output (keeping its aspect ratio). */
export function svgImageTag(svg: string, options: SvgImageTagOptions): string {
  return `<img class="${escapeXml(options.className ?? "midi-lstm-static")}" alt="${
    escapeXml(options.alt ?? "figure")
  }" width="${options.widthPx}" height="${options.heightPx}" style="max-width: 100%; height: auto;" src="${
    svgDataUri(svg)
  }">`;
}

/**
 * A figure's static picture: its SVG (drawn by `figureSvg` at `widthPx` by `heightPx`) and
 * the `<img>` that shows it.
 */
export function figurePicture(
  fig: PlotlyFigure,
  options: SvgImageTagOptions,
): { svg: string; img: string } {
  const svg = figureSvg(fig, { widthPx: options.widthPx, heightPx: options.heightPx });
  return { svg, img: svgImageTag(svg, options) };
}
