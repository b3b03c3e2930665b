/**
 * The corpus at a glance, for either family.
 *
 * @module
 */
import type { Corpus, GeneratedMusic } from "../workflow/workflow.ts";
import { noteHistogramsFigure, type PlotlyFigure, tokenFrequencyFigure } from "./plot.ts";

/**
 * A figure of the whole corpus: pitch / step / duration histograms (tutorial, optionally
 * overlaid with generated notes) or the most frequent tokens (classic).
 */
export function corpusFigure(corpus: Corpus, generated?: GeneratedMusic): PlotlyFigure {
  if (corpus.family === "tutorial") {
    const notes = corpus.folder.files.flatMap((f) => f.notes);
    return noteHistogramsFigure(notes, generated ? { other: generated.notes } : {});
  }
  const tokens = generated?.tokens ?? corpus.folder.files.flatMap((f) => f.tokens);
  return tokenFrequencyFigure(tokens, {
    title: generated ? "Most frequent generated tokens" : "Most frequent tokens in the corpus",
  });
}
