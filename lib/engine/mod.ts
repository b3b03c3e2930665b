/**
 * Speed behind the lesson's interfaces: backend choice, the fused LSTM and its backward pass,
 * WebAssembly kernels and threads, the stateful runner, parallel Workers, seeded randomness.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./blas.ts";
export * from "./fused_lstm.ts";
export * from "./init.ts";
export * from "./random.ts";
export * from "./read_tensors.ts";
export * from "./seeded_dropout.ts";
export * from "./seeds.ts";
export * from "./stateful.ts";
export * from "./workers.ts";
