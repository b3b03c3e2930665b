import assert from "node:assert/strict";
import { formatCheckpointName, stopsEarly } from "../../lib/train/callbacks.ts";

Deno.test("formatCheckpointName() fills Keras-style epoch and loss fields", () => {
  assert.equal(
    formatCheckpointName("weights-improvement-{epoch:02d}-{loss:.4f}", {
      epoch: 3,
      loss: 0.123456,
    }),
    "weights-improvement-03-0.1235",
  );
  assert.equal(formatCheckpointName("ckpt_{epoch}", { epoch: 12, loss: 1 }), "ckpt_12");
  assert.equal(
    formatCheckpointName("ckpt-{epoch:02d}-{loss:.2f}-{val_loss:.3f}", {
      epoch: 4,
      loss: 1.234,
      val_loss: 2,
    }),
    "ckpt-04-1.23-2.000",
  );
  assert.throws(
    () => formatCheckpointName("{acc}", { epoch: 1, loss: 1 }),
    /\{acc\} is not logged; expected epoch or one of loss/,
  );
});

Deno.test("stopsEarly() stops after patience epochs without improvement, never at the last epoch", () => {
  assert.equal(stopsEarly(2, { epoch: 3, bestEpoch: 1, epochs: 10 }), true);
  assert.equal(stopsEarly(2, { epoch: 2, bestEpoch: 1, epochs: 10 }), false);
  assert.equal(stopsEarly(2, { epoch: 9, bestEpoch: 1, epochs: 10 }), false, "the run ends anyway");
  assert.equal(stopsEarly(undefined, { epoch: 9, bestEpoch: 0, epochs: 20 }), false);
});
