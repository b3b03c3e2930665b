/**
 * Runs `lib/commands/train.ts` (with the same arguments) in a process that dies, exit code 137 as
 * after SIGKILL, at a chosen moment of a save: just before the first rename whose destination
 * path matches the regular expression in `MIDI_LSTM_TEST_CRASH_RENAME`, after skipping
 * `MIDI_LSTM_TEST_CRASH_SKIP` (default 0) earlier matches. Every file of a save is written to
 * a temporary name and renamed into place, so this stops a save half-way: for
 * `checkpoints/.../model\.json$`, the new weights file is in place and `model.json` is not.
 */
const pattern = Deno.env.get("MIDI_LSTM_TEST_CRASH_RENAME");
if (pattern) {
  const target = new RegExp(pattern);
  let skip = Number(Deno.env.get("MIDI_LSTM_TEST_CRASH_SKIP") ?? 0);
  const rename = Deno.rename;
  Deno.rename = (from: string | URL, to: string | URL) => {
    if (target.test(String(to)) && skip-- <= 0) Deno.exit(137);
    return rename(from, to);
  };
}
await import("../lib/commands/train.ts");
