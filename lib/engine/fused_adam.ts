/**
 * Adam with each variable's update in one loop over typed arrays: the same rule, state and
 * saved weights as `tf.train.adam`, without its dozen tensor ops per variable.
 *
 * tfjs's `AdamOptimizer.applyGradients` runs about twelve backend ops for every variable
 * (moments, bias correction, square root, division, assignments); for a small model such as
 * the tutorial's, that dispatching is a good part of the step. {@linkcode FusedAdam} reads
 * each gradient, moment and value once, updates them in one pass (float64 arithmetic, float32
 * storage: within float32 rounding of tfjs's steps), and assigns the results. Its moment
 * variables, names and iteration count are those of `AdamOptimizer`, so `getWeights()` /
 * `setWeights()` (and a resumed run's saved optimiser state) are unchanged, and it serialises
 * as `"Adam"`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The `AdamOptimizer` fields this file reads and writes (protected in tfjs's types). */
interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/** `tf.train.adam` with fused per-variable updates; create it with {@linkcode fusedAdam}. */
export class FusedAdam extends tf.AdamOptimizer {
  /**
   * Applies one Adam step to every named variable (variables, their moments and the bias
   * correction terms are updated in place, as `AdamOptimizer` does).
   *
   * @param variableGradients gradients by variable name, or as a named list (not changed)
   */
  override applyGradients(
    variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[],
  ): void {
    const self = this as unknown as AdamFields;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const { beta1, beta2, learningRate } = self;
    const epsilon = self.epsilon;
    const accBeta1 = self.accBeta1.dataSync()[0];
    const accBeta2 = self.accBeta2.dataSync()[0];
    // tfjs's rule: w -= rate * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon).
    const stepSize = learningRate / (1 - accBeta1);
    const rootScale = 1 / Math.sqrt(1 - accBeta2);
    const keep1 = 1 - beta1;
    const keep2 = 1 - beta2;
    // The wasm backend reads out a fresh copy; the cpu backend hands over its own array.
    const copies = tf.getBackend() !== "wasm";
    const read = (t: tf.Tensor) => {
      const data = t.dataSync() as Float32Array;
      return copies ? Float32Array.from(data) : data;
    };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      self.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      self.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      const gradient = Array.isArray(variableGradients)
        ? variableGradients[i].tensor
        : variableGradients[name];
      if (gradient == null) return;
      const mVar = self.accumulatedFirstMoment[i].variable;
      const vVar = self.accumulatedSecondMoment[i].variable;
      const g = gradient.dataSync() as Float32Array;
      const m = read(mVar);
      const v = read(vVar);
      const w = read(value);
      for (let k = 0; k < w.length; k++) {
        const gk = g[k];
        const mk = m[k] = m[k] * beta1 + gk * keep1;
        const vk = v[k] = v[k] * beta2 + gk * gk * keep2;
        w[k] -= (stepSize * mk) / (Math.sqrt(vk) * rootScale + epsilon);
      }
      assign(mVar, m);
      assign(vVar, v);
      assign(value, w);
    });
    // The running powers as float32 products, as tfjs's mul gives them (a resumed run redoes
    // them the same way: lib/train/resume.ts).
    assign(self.accBeta1, Float32Array.of(Math.fround(accBeta1 * Math.fround(beta1))));
    assign(self.accBeta2, Float32Array.of(Math.fround(accBeta2 * Math.fround(beta2))));
    self.incrementIterations();
  }
}

/** Gives `variable` the values `data` (same length and shape; `data` is kept by the tensor). */
function assign(variable: tf.Variable, data: Float32Array): void {
  const next = tf.tensor(data, variable.shape, "float32");
  variable.assign(next);
  next.dispose();
}

/** Options for {@linkcode fusedAdam}. */
export interface FusedAdamOptions {
  /**
   * Decay of the first moment.
   * @default {0.9}
   */
  beta1?: number;
  /**
   * Decay of the second moment.
   * @default {0.999}
   */
  beta2?: number;
  /**
   * Added to the root of the second moment.
   * @default {the backend's epsilon (1e-7), as tf.train.adam}
   */
  epsilon?: number;
}

/**
 * Adam at `learningRate`, updating as `tf.train.adam(learningRate)` does.
 *
 * @param learningRate step size, above 0
 */
export function fusedAdam(learningRate: number, options: FusedAdamOptions = {}): FusedAdam {
  return new FusedAdam(learningRate, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon);
}
