/**
 * The corpus at a glance, for either family.
 *
 * @module
 */
import type { MidiFolder } from "../music/midi.ts";
import type { TokenFolder } from "../music/tokens.ts";
import type { Corpus, GeneratedMusic } from "../workflow/workflow.ts";
import { familyNamed } from "../workflow/families.ts";
import { noteHistogramsFigure, type PlotlyFigure, tokenFrequencyFigure } from "./plot.ts";

/**
 * A figure of the whole corpus: pitch / step / duration histograms (a family of notes, such
 * as the tutorial's, optionally overlaid with generated notes) or the most frequent tokens (a
 * family of tokens, such as the classic).
 */
export function corpusFigure(corpus: Corpus, generated?: GeneratedMusic): PlotlyFigure {
  if (familyNamed(corpus.family).unit === "note") {
    const notes = (corpus.folder as MidiFolder).files.flatMap((f) => f.notes);
    return noteHistogramsFigure(notes, generated ? { other: generated.notes } : {});
  }
  const tokens = generated?.tokens ??
    (corpus.folder as TokenFolder).files.flatMap((f) => f.tokens);
  return tokenFrequencyFigure(tokens, {
    title: generated ? "Most frequent generated tokens" : "Most frequent tokens in the corpus",
  });
}
