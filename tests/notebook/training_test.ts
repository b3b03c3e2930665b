import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../../lib/config/config.ts";
import type { BatchInfo } from "../../lib/train/controls.ts";
import { trainRun } from "../../lib/workflow/workflow.ts";
import { progressBar, trainInBackground } from "../../lib/notebook/training.ts";
import { tempDir } from "../_helpers.ts";
import { tinyTutorial, writeTinyCorpus } from "../_tiny_runs.ts";

await tf.setBackend("cpu");

const info = (batch: number): BatchInfo => ({
  epoch: 0,
  epochs: 3,
  batch,
  batches: 4,
  samples: batch * 16,
  loss: 0.5,
  seconds: batch,
});

Deno.test("progressBar() outside the kernel hands its first line and then few others to the fallback", async () => {
  const lines: string[] = [];
  const bar = progressBar({ fallback: (text) => lines.push(text) });
  for (let b = 1; b <= 4; b++) await bar.update(info(b));
  assert.deepEqual(lines, [
    "epoch 1/3 [#####---------------] batch 1/4  loss 0.5000  1 s, ~3 s left",
  ]);
  await bar.finish("stopped after epoch 1");
  assert.equal(lines.at(-1), "stopped after epoch 1");
  const every: string[] = [];
  const eager = progressBar({ fallback: (text) => every.push(text), fallbackIntervalMs: 0 });
  for (let b = 1; b <= 4; b++) await eager.update(info(b));
  assert.equal(every.length, 4);
  assert.match(every[3], /\[#{20}\] batch 4\/4/);
});

Deno.test("trainInBackground() lets other work run between batches: stop() from a timer (another cell) stops the run, which resumes", async () => {
  const dir = tempDir();
  try {
    const data = writeTinyCorpus(join(dir, "data"));
    const runDir = join(dir, "run");
    const config = resolveConfig(tinyTutorial(data, { train: { epochs: 20 } }));
    let asked = false;
    const training = trainInBackground((signal) =>
      trainRun(config, {
        runDir,
        signal,
        onBatchEnd: () => {
          if (asked) return;
          asked = true;
          // The timer runs only if the loop lets the event loop turn between batches (as a
          // cell run meanwhile needs); it does once a batch has taken 25 ms or more.
          setTimeout(() => training.stop(), 0);
          const t = performance.now();
          while (performance.now() - t < 30) { /* a slow first batch */ }
        },
      })
    );
    assert.equal(training.running, true);
    const run = await training.done;
    run.model.dispose();
    assert.equal(training.running, false);
    assert.equal(training.signal.aborted, true);
    assert.equal(run.result.stopped, "signal");
    // Stopped at the second batch of the first epoch, not at an epoch's end.
    assert.equal(run.result.discardedBatches, 1);
    const kept = run.history!.epoch.length;
    assert.equal(kept, 0);

    const again = trainInBackground((signal) =>
      trainRun(resolveConfig(tinyTutorial(data, { train: { epochs: kept + 1 } })), {
        runDir,
        signal,
        resume: true,
      })
    );
    const resumed = await again.done;
    resumed.model.dispose();
    assert.equal(resumed.result.stopped, undefined);
    assert.deepEqual(resumed.history!.epoch, Array.from({ length: kept + 1 }, (_, i) => i + 1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainInBackground() keeps the run's error for whoever awaits done", async () => {
  const training = trainInBackground(() => Promise.reject(new Error("no data")));
  await new Promise((resolve) => setTimeout(resolve, 0)); // no unhandled rejection meanwhile
  await assert.rejects(training.done, /no data/);
  assert.equal(training.running, false);
});
