/**
 * The classic family's vocabulary: every distinct token of the training corpus, sorted,
 * numbered from 0. The model's softmax has one unit per entry, so a model is only
 * meaningful together with the exact vocabulary it was trained with: the vocabulary is
 * saved beside the weights, and a mismatch is an error rather than silently wrong notes.
 *
 * Tokens are sorted as Python sorts strings (by Unicode code point), which for these ASCII
 * tokens is plain character order: `"0" < "0.4" < "11.2.6" < "4.9" < "A4" < "B-3" < "C#4"`.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A numbered token list with lookups both ways. */
export interface Vocabulary {
  /** Tokens in id order (sorted, distinct). */
  tokens: string[];
  /** Token -> id (`noteToInt` in the original notebooks). */
  noteToInt: Map<string, number>;
  /** Id -> token (`intToNote`); the same array as `tokens`. */
  intToNote: string[];
  /** Number of tokens, the model's output width. */
  size: number;
  /** Short hash of the token list; two vocabularies are the same iff their fingerprints are. */
  fingerprint: string;
}

/** The plain-data form saved as JSON. */
export interface VocabularyJson {
  /** Always `"midi-lstm-vocabulary"`. */
  format: "midi-lstm-vocabulary";
  /** Format version, currently 1. */
  version: 1;
  /** Number of tokens. */
  size: number;
  /** See {@linkcode Vocabulary.fingerprint}. */
  fingerprint: string;
  /** Tokens in id order. */
  tokens: string[];
}

/** Compares strings by Unicode code point, as Python's `sorted` does. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  while (true) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return ca.done ? (cb.done ? 0 : -1) : 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * A 16-hex-digit fingerprint of a token list (the start of the SHA-256 of its JSON). The
 * order matters: the same tokens numbered differently have different fingerprints.
 */
export function vocabularyFingerprint(tokens: readonly string[]): string {
  return createHash("sha256").update(JSON.stringify(tokens)).digest("hex").slice(0, 16);
}

function fromSortedTokens(tokens: string[]): Vocabulary {
  return {
    tokens,
    noteToInt: new Map(tokens.map((t, i) => [t, i])),
    intToNote: tokens,
    size: tokens.length,
    fingerprint: vocabularyFingerprint(tokens),
  };
}

/**
 * Builds the vocabulary of a corpus: its distinct tokens, sorted by code point and numbered
 * from 0. The input is not changed.
 *
 * @param tokens one token list, or one list per file
 * @throws {Error} when there are no tokens, or a token is not a non-empty string
 */
export function buildVocabulary(
  tokens: readonly string[] | readonly (readonly string[])[],
): Vocabulary {
  const distinct = new Set<string>();
  for (const item of tokens) {
    for (const t of typeof item === "string" ? [item] : item) {
      if (typeof t !== "string" || t.length === 0) {
        throw new Error(`tokens: expected non-empty strings, got ${JSON.stringify(t)}`);
      }
      distinct.add(t);
    }
  }
  if (distinct.size === 0) throw new Error("tokens: expected at least one token, got none");
  return fromSortedTokens([...distinct].sort(compareCodePoints));
}

/**
 * Turns tokens into ids. The input is not changed.
 *
 * @throws {Error} naming the token and its position when it is not in the vocabulary
 */
export function encodeTokens(vocab: Vocabulary, tokens: readonly string[]): number[] {
  return tokens.map((t, i) => {
    const id = vocab.noteToInt.get(t);
    if (id === undefined) {
      throw new Error(
        `token ${i} ${JSON.stringify(t)} is not in the vocabulary (${vocab.size} tokens, ` +
          `fingerprint ${vocab.fingerprint})`,
      );
    }
    return id;
  });
}

/**
 * Turns ids back into tokens. The input is not changed.
 *
 * @throws {Error} naming the id and its position when it is not in `0..size-1`
 */
export function decodeIds(vocab: Vocabulary, ids: ArrayLike<number>): string[] {
  return Array.from(ids, (id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab.size) {
      throw new Error(`id ${i}: expected an integer in 0..${vocab.size - 1}, got ${id}`);
    }
    return vocab.tokens[id];
  });
}

/** The vocabulary as plain JSON-ready data (the token array is copied). */
export function vocabularyToJson(vocab: Vocabulary): VocabularyJson {
  return {
    format: "midi-lstm-vocabulary",
    version: 1,
    size: vocab.size,
    fingerprint: vocab.fingerprint,
    tokens: [...vocab.tokens],
  };
}

/**
 * Rebuilds a vocabulary from its JSON form, checking that it is intact: the right format,
 * distinct tokens in sorted order, and a size and fingerprint that agree with the tokens.
 *
 * @param json parsed JSON (not changed)
 * @param name where it came from, used in error messages
 * @throws {Error} naming `name` and what is wrong
 */
export function vocabularyFromJson(json: unknown, name = "<vocabulary>"): Vocabulary {
  const v = json as Partial<VocabularyJson> | null;
  if (typeof v !== "object" || v === null || v.format !== "midi-lstm-vocabulary") {
    throw new Error(`${name}: expected a vocabulary file (format "midi-lstm-vocabulary")`);
  }
  if (v.version !== 1) throw new Error(`${name}: expected version 1, got ${v.version}`);
  const tokens = v.tokens;
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== "string" || t.length === 0)) {
    throw new Error(`${name}: expected "tokens" to be an array of non-empty strings`);
  }
  for (let i = 1; i < tokens.length; i++) {
    if (compareCodePoints(tokens[i - 1], tokens[i]) >= 0) {
      throw new Error(
        `${name}: tokens must be distinct and sorted, but ${JSON.stringify(tokens[i - 1])} ` +
          `comes before ${JSON.stringify(tokens[i])}`,
      );
    }
  }
  if (v.size !== tokens.length) {
    throw new Error(`${name}: "size" says ${v.size} but there are ${tokens.length} tokens`);
  }
  const vocab = fromSortedTokens([...tokens]);
  if (v.fingerprint !== vocab.fingerprint) {
    throw new Error(
      `${name}: fingerprint ${v.fingerprint} does not match its tokens (${vocab.fingerprint})`,
    );
  }
  return vocab;
}

/** Writes the vocabulary as pretty JSON to `path` (creating or replacing the file). */
export function saveVocabulary(path: string, vocab: Vocabulary): void {
  Deno.writeTextFileSync(path, JSON.stringify(vocabularyToJson(vocab), null, 1) + "\n");
}

/**
 * Reads a vocabulary written by {@linkcode saveVocabulary}.
 *
 * @throws {Error} naming the file when it is missing, not JSON, or not an intact vocabulary
 */
export function loadVocabulary(path: string): Vocabulary {
  let text;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`vocabulary file ${path}: cannot read (${(e as Error).message})`);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`vocabulary file ${path}: not JSON (${(e as Error).message})`);
  }
  return vocabularyFromJson(json, `vocabulary file ${path}`);
}

/** Options for {@linkcode assertVocabularyMatches}. */
export interface AssertVocabularyOptions {
  /**
   * Fingerprint recorded when the weights were saved; when given it must equal the
   * vocabulary's.
   * @default {undefined}
   */
  expectedFingerprint?: string;
  /**
   * What the weights are called in the message (e.g. their folder).
   * @default {"the model"}
   */
  modelName?: string;
}

/**
 * Checks that a vocabulary belongs to a model: the model's output width must equal the
 * vocabulary size and, when the fingerprint recorded with the weights is given, the
 * fingerprints must agree. Decoding a model's ids with another vocabulary would give wrong
 * notes without any error, so this refuses instead.
 *
 * @param outputUnits the model's output width (last dimension of its output shape)
 * @throws {Error} saying what was expected and what arrived
 */
export function assertVocabularyMatches(
  vocab: Vocabulary,
  outputUnits: number,
  options: AssertVocabularyOptions = {},
): void {
  const model = options.modelName ?? "the model";
  if (outputUnits !== vocab.size) {
    throw new Error(
      `vocabulary mismatch: ${model} predicts ${outputUnits} tokens but the vocabulary has ` +
        `${vocab.size} (fingerprint ${vocab.fingerprint}); load the vocabulary saved with ` +
        `these weights`,
    );
  }
  const expected = options.expectedFingerprint;
  if (expected !== undefined && expected !== vocab.fingerprint) {
    throw new Error(
      `vocabulary mismatch: ${model} was trained with vocabulary ${expected} but this one is ` +
        `${vocab.fingerprint} (same size ${vocab.size}, different tokens or order); load the ` +
        `vocabulary saved with these weights`,
    );
  }
}
