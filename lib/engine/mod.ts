/**
 * Speed behind the lesson's interfaces: backend choice, the fused LSTM and its backward pass,
 * WebAssembly kernels and threads, the fast parts a run swaps into a family's model and
 * optimiser, typed losses and the batch loss of Dense heads, the gradient source of the
 * training loop, the stateful runner and its generation loop, parallel Workers. Seeded
 * randomness lives in `lib/random/` (the lesson draws from it too): `midi-lstm/random`.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./blas.ts";
export * from "./dense_heads.ts";
export * from "./fast_parts.ts";
export * from "./fused_adam.ts";
export * from "./fused_lstm.ts";
export * from "./gradient_source.ts";
export * from "./heads_batch_loss.ts";
export * from "./init.ts";
export * from "./read_tensors.ts";
export * from "./seeded_dropout.ts";
export * from "./stateful.ts";
export * from "./stateful_generation.ts";
export * from "./typed_losses.ts";
export * from "./workers.ts";
