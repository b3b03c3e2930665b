/**
 * Terminal lines shared by the command-line tools.
 *
 * @module
 */
import type { SkippedFile } from "../midi.ts";
import type { EpochInfo } from "../train.ts";

/** One line per epoch: losses, throughput and whether a checkpoint was written. */
export function formatEpochLine(info: EpochInfo): string {
  const width = String(info.epochs).length;
  const logs = Object.entries(info.logs)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join("  ");
  const rate = info.samples / Math.max(info.seconds, 1e-9);
  let line = `epoch ${String(info.epoch + 1).padStart(width)}/${info.epochs}  ${logs}  ` +
    `${info.seconds.toFixed(1)} s (${rate.toFixed(0)} samples/s)`;
  if (info.checkpoint) line += `  saved ${info.checkpoint}`;
  if (info.stopped) line += "  early stop";
  return line;
}

/** Lines reporting skipped files (at most `max`, then a count of the rest). */
export function formatSkipped(skipped: SkippedFile[], max = 10): string[] {
  if (skipped.length === 0) return [];
  const lines = [`skipped ${skipped.length} file(s):`];
  for (const s of skipped.slice(0, max)) lines.push(`  ${s.path}: ${s.reason}`);
  if (skipped.length > max) lines.push(`  ... and ${skipped.length - max} more`);
  return lines;
}
