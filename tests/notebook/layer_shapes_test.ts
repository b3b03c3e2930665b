import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { layerShapes } from "../../lib/notebook/layer_shapes.ts";
import { fusedLstm } from "../../lib/engine/fused_lstm.ts";

function twoHeads(lstm: (c: { units: number }) => tf.layers.Layer, units = 8) {
  const input = tf.input({ shape: [5, 3] });
  const hidden = lstm({ units }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.dense({ units: 4 }).apply(hidden) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 1 }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [a, b] });
}

Deno.test("layerShapes() lists output and weight shapes and parameters, input layers left out", () => {
  const model = twoHeads((c) => tf.layers.lstm(c));
  try {
    assert.deepEqual(layerShapes(model), [
      { outputShape: "[batch,8]", weightShapes: "[3,32] [8,32] [32]", params: 4 * (8 * 11 + 8) },
      { outputShape: "[batch,4]", weightShapes: "[8,4] [4]", params: 36 },
      { outputShape: "[batch,1]", weightShapes: "[8,1] [1]", params: 9 },
    ]);
  } finally {
    model.dispose();
  }
});

Deno.test("layerShapes() is the same for tf.layers.lstm and the fused LSTM, and tells sizes apart", () => {
  const plain = twoHeads((c) => tf.layers.lstm(c));
  const fused = twoHeads((c) => fusedLstm(c));
  const wider = twoHeads((c) => tf.layers.lstm(c), 9);
  try {
    assert.deepEqual(layerShapes(fused), layerShapes(plain));
    assert.notDeepEqual(layerShapes(wider), layerShapes(plain));
  } finally {
    [plain, fused, wider].forEach((m) => m.dispose());
  }
});
