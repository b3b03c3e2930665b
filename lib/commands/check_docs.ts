/**
 * `deno task check` (docs): the prose names only paths and functions that exist.
 *
 * It reads the Markdown docs (`README.md`, `docs/*.md`, `notebooks/README.md`,
 * `weights/README.md`, `data/README.md`) and the doc comments of `lib/` (`/** ... *\/` blocks
 * and whole-line `//` comments), and reports, with file and line:
 *
 * - a backticked path (`lib/...`, `tests/...`, `notebooks/...`, `data/...`, `docs/...`,
 *   `weights/...`, or a file name such as `stateful.ts`, with or without a `:line` or
 *   `#anchor`) that does not exist; a path git ignores (`data/maestro/`) is something a
 *   command makes and is not checked. A relative path is looked for beside the text first,
 *   then from `lib/` and the repository root; a bare file name anywhere in the repository;
 * - a `:line` past the file's end, a `#anchor` that no heading of a checked Markdown file
 *   makes, a relative Markdown link (`[text](path#anchor)`) to nothing;
 * - `` `path` (N lines) `` when the file has another number of lines;
 * - a name the text attributes to a module or folder of `lib/` that neither exports it nor
 *   declares it (a private function, a field). A name (one with a capital letter, or written
 *   as a call) is attributed when a path follows it as "`` `name` in `path` ``" (or "of",
 *   "from"), "`` `name` (`path` ``" or "`` (`name`, `path` ``", and so are the names listed
 *   before it with ",", "and", "or" or "/" between them: "`` `a`, `b` and `c` (`lib/x.ts`) ``";
 * - a name no path follows, written as a camelCase call (`` `fooBar()` ``,
 *   `` `fooBar({ x })` ``) that `lib/` does not export (in a module's comments: that `lib/`'s
 *   code never mentions, so methods such as `` `getWeights()` `` pass), or, in a Markdown doc,
 *   as a camelCase identifier (`` `fooBar` ``) that `lib/`'s code never mentions. JavaScript's
 *   globals count as known; dotted names (`tf.tidy`) and names such as `Dense` or `torch`
 *   are not checked;
 * - in `lib/` (outside `commands/`), a comment that quotes a measured speed
 *   (`17.0 samples/s`): `deno task bench` writes those, and they go stale in prose.
 *
 * The core, {@linkcode checkDocs}, takes the texts and a {@linkcode DocsTree}, so it runs
 * without the real tree; {@linkcode loadDocsTree} and {@linkcode docTexts} read the
 * repository.
 *
 * Usage: `deno run -A lib/commands/check_docs.ts [root]`
 *
 * @module
 */
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { lineIndex, listFiles } from "./_source_files.ts";

/** One text to check: a Markdown doc or a TypeScript module (its comments are checked). */
export interface DocText {
  /** Repository-relative path with `/` separators, e.g. `README.md`, `lib/train/loop.ts`. */
  path: string;
  text: string;
}

/** What the texts are checked against. */
export interface DocsTree {
  /** Every file of the repository, relative, with `/` separators. */
  files: ReadonlySet<string>;
  /** Each file's number of lines (for `:line` and "(N lines)"); files left out are not counted. */
  lineCounts?: ReadonlyMap<string, number>;
  /** The names each `lib/` module exports, re-exports included ({@linkcode libExports}). */
  exports: ReadonlyMap<string, ReadonlySet<string>>;
  /** The names each `lib/` module declares and exports itself (for "it is in ..." hints). */
  declared?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The names each `lib/` module declares without exporting: functions, constants, fields. */
  locals?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Identifiers that `lib/`'s code (comments left out) mentions. */
  words: ReadonlySet<string>;
  /** Names known without `lib/` (JavaScript's globals). */
  globals?: ReadonlySet<string>;
  /** Whether git ignores a path (made by a command, so not checked); default: nothing is. */
  ignored?: (path: string) => boolean;
}

/** One stale reference. */
export interface DocProblem {
  /** Repository-relative file and 1-based line. */
  where: string;
  message: string;
}

/** A backticked span of a text: its content and where it starts and ends. */
export interface CodeSpan {
  code: string;
  start: number;
  end: number;
}

const ROOTS = ["lib/", "tests/", "notebooks/", "data/", "docs/", "weights/"];
/** What a path without one of the roots above must end with to be checked. */
const FILE_EXT = /\.(?:ts|md|wat|py|ipynb)$/;
const IDENT = /^[A-Za-z_$][\w$]*$/;
const CALL = /^([A-Za-z_$][\w$]*)\((?:[^()]|\([^()]*\))*\)$/;
const CAMEL = /^[a-z][a-z0-9]*[A-Z]/;
/** A name worth attributing: one with a capital (`fooBar`, `FooBar`, `FOO_BAR`). */
const NAMELIKE = /[A-Z]/;
/** A measured speed: a number followed by a rate unit. */
const SPEED = /\d[\d,.]*\s*(?:samples|notes|tokens|files|batches|steps)\/s\b/;

/**
 * The backticked spans of Markdown text, fenced code blocks left out. A span may run over a
 * line break but not over a blank line, as in Markdown.
 */
export function codeSpans(text: string): CodeSpan[] {
  const spans: CodeSpan[] = [];
  const fenced = fencedRanges(text);
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("`", i);
    if (open < 0) break;
    const inFence = fenced.find(([a, b]) => open >= a && open < b);
    if (inFence) {
      i = inFence[1];
      continue;
    }
    let n = 0;
    while (text[open + n] === "`") n++;
    const ticks = "`".repeat(n);
    let close = text.indexOf(ticks, open + n);
    while (close >= 0 && text[close + n] === "`") {
      let m = 0;
      while (text[close + m] === "`") m++;
      close = text.indexOf(ticks, close + m);
    }
    const blank = text.slice(open + n).search(/\n[ \t]*\n/);
    if (close < 0 || (blank >= 0 && close > open + n + blank)) {
      i = open + n;
      continue;
    }
    let code = text.slice(open + n, close).replace(/\s*\n\s*/g, " ");
    if (n > 1) code = code.trim();
    spans.push({ code, start: open, end: close + n });
    i = close + n;
  }
  return spans;
}

/** The `[start, end)` offsets of the fenced code blocks (```, ~~~) of Markdown text. */
function fencedRanges(text: string): [number, number][] {
  const out: [number, number][] = [];
  const fence = /^[ \t]*(`{3,}|~{3,})[^\n]*$/gm;
  let open: { at: number; marker: string } | null = null;
  for (const m of text.matchAll(fence)) {
    if (!open) open = { at: m.index!, marker: m[1] };
    else if (m[1][0] === open.marker[0] && m[1].length >= open.marker.length) {
      out.push([open.at, m.index! + m[0].length]);
      open = null;
    }
  }
  if (open) out.push([open.at, text.length]);
  return out;
}

/**
 * The comments of a TypeScript module as Markdown: everything else, and the comment markers
 * (`/**`, `*\/`, a line's leading `*`, `//`), blanked to spaces, so offsets and lines stay
 * those of the module. Takes `/** ... *\/` blocks that start a line and whole-line `//`
 * comments.
 */
export function commentText(source: string): string {
  const keep = new Uint8Array(source.length);
  for (const m of source.matchAll(/^[ \t]*\/\*\*[\s\S]*?\*\//gm)) {
    const body = m.index! + m[0].indexOf("/**") + 3;
    for (let k = body; k < m.index! + m[0].length - 2; k++) keep[k] = 1;
  }
  for (const m of source.matchAll(/^[ \t]*\/\/(.*)$/gm)) {
    const body = m.index! + m[0].indexOf("//") + 2;
    for (let k = body; k < m.index! + m[0].length; k++) keep[k] = 1;
  }
  let out = "";
  for (let k = 0; k < source.length; k++) {
    const ch = source[k];
    out += ch === "\n" ? "\n" : keep[k] ? ch : " ";
  }
  // a block comment's leading `*` on each line
  return out.replace(/^([ \t]*)\*(?!\/)/gm, "$1 ");
}

/** `lib/`'s code with its comments removed, for {@linkcode DocsTree.words}. */
function codeWithoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/^[ \t]*\/\/.*$/gm, " ");
}

/** The identifiers a module's code (comments left out) mentions. */
export function codeWords(source: string): Set<string> {
  return new Set(codeWithoutComments(source).match(/[A-Za-z_$][\w$]*/g) ?? []);
}

const DECLARATION =
  /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|interface|type|enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)/gm;
const EXPORT_LIST = /^export\s+(?:type\s+)?\{([^}]*)\}\s*(?:from\s*"([^"]+)")?/gm;
const EXPORT_ALL = /^export\s+\*\s+(?:as\s+([A-Za-z_$][\w$]*)\s+)?from\s*"([^"]+)"/gm;

/**
 * The names a module's code declares, exported or not: functions, classes, types, constants
 * and variables, and the fields of its interfaces and object types (`name:` or `name?:`
 * starting a line).
 */
export function localNames(source: string): Set<string> {
  const code = codeWithoutComments(source);
  const names = new Set<string>();
  const declaration =
    /\b(?:function\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/g;
  for (const m of code.matchAll(declaration)) names.add(m[1]);
  for (const m of code.matchAll(/^\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*:/gm)) {
    names.add(m[1]);
  }
  return names;
}

/** The names a module declares and exports itself (not those it re-exports). */
export function declaredExports(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(DECLARATION)) names.add(m[1]);
  for (const m of source.matchAll(EXPORT_LIST)) {
    if (m[2] !== undefined) continue;
    for (const name of listNames(m[1])) names.add(name);
  }
  return names;
}

function listNames(list: string): string[] {
  return list.split(",").map((item) => item.trim().replace(/^type\s+/, "")).filter(Boolean)
    .map((item) => item.split(/\s+as\s+/).pop()!.trim());
}

/**
 * The names each module exports, re-exports (`export { a } from`, `export * from`) followed.
 *
 * @param sources repository-relative path (`lib/...`) to module source
 */
export function libExports(sources: ReadonlyMap<string, string>): Map<string, Set<string>> {
  const done = new Map<string, Set<string>>();
  const visit = (path: string, seen: Set<string>): Set<string> => {
    const known = done.get(path);
    if (known) return known;
    const source = sources.get(path);
    const names = source === undefined ? new Set<string>() : declaredExports(source);
    if (source === undefined || seen.has(path)) return names;
    seen.add(path);
    for (const m of source.matchAll(EXPORT_LIST)) {
      if (m[2] !== undefined) { for (const name of listNames(m[1])) names.add(name); }
    }
    for (const m of source.matchAll(EXPORT_ALL)) {
      if (m[1]) names.add(m[1]);
      else if (m[2].startsWith(".")) {
        const target = posix.normalize(posix.join(posix.dirname(path), m[2]));
        for (const name of visit(target, seen)) if (name !== "default") names.add(name);
      }
    }
    done.set(path, names);
    return names;
  };
  for (const path of sources.keys()) visit(path, new Set());
  return done;
}

/**
 * A matcher for the simple `.gitignore` patterns this repository uses: `dir/`, `a/*`, `*.zip`,
 * `!keep`, a pattern with a `/` anchored at the root, one without it matching any name.
 */
export function gitignoreMatcher(gitignore: string): (path: string) => boolean {
  const rules = gitignore.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      let pattern = negate ? line.slice(1) : line;
      if (pattern.endsWith("/")) pattern = pattern.slice(0, -1);
      const anchored = pattern.includes("/");
      if (pattern.startsWith("/")) pattern = pattern.slice(1);
      const body = pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*");
      return { negate, regex: new RegExp(anchored ? `^${body}$` : `(?:^|/)${body}$`) };
    });
  return (path: string) => {
    const parts = path.replace(/\/$/, "").split("/");
    // a path is ignored when it or a folder above it is; a later rule wins for each prefix
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join("/");
      let ignored = false;
      for (const r of rules) if (r.regex.test(prefix)) ignored = !r.negate;
      if (ignored) return true;
    }
    return false;
  };
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  const fenced = fencedRanges(markdown);
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    if (fenced.some(([a, b]) => m.index! >= a && m.index! < b)) continue;
    let slug = headingAnchor(m[1]);
    for (let k = 1; out.has(slug); k++) slug = `${headingAnchor(m[1])}-${k}`;
    out.add(slug);
  }
  return out;
}

/** A path reference as written: the path, and a `:line` or `#anchor` after it. */
interface PathRef {
  path: string;
  line?: number;
  anchor?: string;
}

/** Reads a span as a path reference, or `null` when it is not one. */
export function parsePathRef(code: string): PathRef | null {
  if (/[\s<>*{}$…]|\.\.\./.test(code)) return null;
  const m = /^([\w./-]+?)(?::(\d+)(?:-\d+)?|#([\w-]+))?$/.exec(code);
  if (!m) return null;
  const path = m[1];
  if (ROOTS.includes(path)) return null; // a bare root ("lib/") names a layer, not a file
  if (path.startsWith(".") && !/^\.\.?\//.test(path)) return null; // an extension, a dot folder
  if (!ROOTS.some((r) => path.startsWith(r)) && !FILE_EXT.test(path)) return null;
  return { path, line: m[2] ? Number(m[2]) : undefined, anchor: m[3] };
}

/** Whether `path` is a file or a folder of `files`. */
function exists(files: ReadonlySet<string>, folders: ReadonlySet<string>, path: string): boolean {
  const p = path.replace(/\/$/, "");
  return files.has(p) || folders.has(p);
}

function foldersOf(files: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const f of files) {
    const parts = f.split("/");
    for (let n = 1; n < parts.length; n++) out.add(parts.slice(0, n).join("/"));
  }
  return out;
}

/** The repository paths a reference written in `from` can mean, most likely first. */
function candidates(ref: string, from: string, byName: ReadonlyMap<string, string[]>): string[] {
  const clean = ref.replace(/\/$/, "");
  if (ROOTS.some((r) => ref.startsWith(r))) return [posix.normalize(clean)];
  const out = [posix.normalize(posix.join(posix.dirname(from), clean))];
  if (from.startsWith("lib/")) out.push(posix.normalize(posix.join("lib", clean)));
  out.push(posix.normalize(clean));
  if (!clean.includes("/")) out.push(...(byName.get(clean) ?? []));
  return out;
}

/** What every text is checked against, worked out once from a {@linkcode DocsTree}. */
interface Context {
  tree: DocsTree;
  folders: Set<string>;
  folderNames: Set<string>;
  byName: Map<string, string[]>;
  anchors: Map<string, Set<string>>;
  allExports: Set<string>;
  globals: ReadonlySet<string>;
  ignored: (path: string) => boolean;
}

/** One text being checked: its prose, its spans, and how to report at an offset. */
interface Reading {
  path: string;
  isSource: boolean;
  prose: string;
  spans: CodeSpan[];
  report: (offset: number, message: string) => void;
}

/**
 * Checks the texts against the tree.
 *
 * @param texts Markdown docs (`.md`) and `lib/` modules (`.ts`: their comments are checked)
 * @param tree the files, exports and code words they are checked against
 * @returns the stale references, by file and line (empty when every reference holds)
 */
export function checkDocs(texts: readonly DocText[], tree: DocsTree): DocProblem[] {
  const folders = foldersOf(tree.files);
  const byName = new Map<string, string[]>();
  for (const f of tree.files) {
    const name = posix.basename(f);
    byName.set(name, [...(byName.get(name) ?? []), f]);
  }
  const ctx: Context = {
    tree,
    folders,
    folderNames: new Set([...folders].map((f) => posix.basename(f))),
    byName,
    anchors: new Map(
      texts.filter((t) => t.path.endsWith(".md")).map((t) => [t.path, anchorsOf(t.text)]),
    ),
    allExports: new Set([...tree.exports.values()].flatMap((names) => [...names])),
    globals: tree.globals ?? new Set(),
    ignored: tree.ignored ?? (() => false),
  };
  const problems: { file: string; offset: number; line: number; message: string }[] = [];
  for (const t of texts) {
    const isSource = t.path.endsWith(".ts");
    const prose = isSource ? commentText(t.text) : t.text;
    const lineOf = lineIndex(prose);
    const reading: Reading = {
      path: t.path,
      isSource,
      prose,
      spans: codeSpans(prose),
      report: (offset, message) =>
        problems.push({ file: t.path, offset, line: lineOf(offset), message }),
    };
    const resolved = checkPaths(reading, ctx);
    checkLineCounts(reading, resolved, ctx);
    const attributed = checkAttributedNames(reading, resolved, ctx);
    checkOtherNames(reading, new Set([...attributed, ...resolved.keys()]), ctx);
    if (isSource && t.path.startsWith("lib/") && !t.path.startsWith("lib/commands/")) {
      for (const m of prose.matchAll(new RegExp(SPEED, "g"))) {
        reading.report(
          m.index!,
          `quotes a measured speed ("${m[0]}"); \`deno task bench\` writes those`,
        );
      }
    }
    if (!isSource) checkLinks(reading, ctx);
  }
  problems.sort((a, b) => a.file < b.file ? -1 : a.file > b.file ? 1 : a.offset - b.offset);
  return problems.map((p) => ({ where: `${p.file}:${p.line}`, message: p.message }));
}

/**
 * Checks every path span (and the paths inside a command span), reporting those that do not
 * exist, and returns the path spans with the file or folder each names (`null`: none).
 */
function checkPaths(r: Reading, ctx: Context): Map<CodeSpan, string | null> {
  const resolve = (ref: PathRef, written: string, offset: number): string | null | undefined => {
    const head = ref.path.split("/")[0];
    const rooted = ROOTS.some((root) => ref.path.startsWith(root));
    if (!rooted && ref.path.includes("/") && !/^\.\.?$/.test(head) && !ctx.folderNames.has(head)) {
      return undefined; // another project's path (`muspy/datasets/maestro.py`)
    }
    const options = candidates(ref.path, r.path, ctx.byName);
    const match = options.find((p) => exists(ctx.tree.files, ctx.folders, p));
    const found = match !== undefined && ctx.folders.has(match) ? `${match}/` : match;
    if (!found) {
      if (!options.some((p) => ctx.ignored(p))) r.report(offset, `\`${written}\`: no such file`);
      return null;
    }
    const lines = ctx.tree.lineCounts?.get(found);
    if (ref.line !== undefined && lines !== undefined && ref.line > lines) {
      r.report(offset, `\`${written}\`: ${found} has ${lines} lines`);
    }
    const anchors = ctx.anchors.get(found);
    if (ref.anchor !== undefined && anchors && !anchors.has(ref.anchor)) {
      r.report(offset, `\`${written}\`: ${found} has no heading #${ref.anchor}`);
    }
    return found;
  };
  const resolved = new Map<CodeSpan, string | null>();
  for (const span of r.spans) {
    const ref = parsePathRef(span.code);
    if (ref) {
      const found = resolve(ref, span.code, span.start);
      if (found !== undefined) resolved.set(span, found);
    } else if (/\s/.test(span.code)) {
      // paths inside a command: `deno run -A data/make_two_hand.ts`
      for (const word of span.code.split(/\s+/)) {
        const inner = ROOTS.some((root) => word.startsWith(root)) ? parsePathRef(word) : null;
        if (inner) resolve(inner, word, span.start);
      }
    }
  }
  return resolved;
}

/** Checks "`path` (N lines)" against the file's line count. */
function checkLineCounts(r: Reading, resolved: Map<CodeSpan, string | null>, ctx: Context): void {
  for (const [span, target] of resolved) {
    if (!target) continue;
    const m = /^\s*\((\d[\d,]*) lines?\)/.exec(r.prose.slice(span.end));
    const lines = ctx.tree.lineCounts?.get(target);
    if (m && lines !== undefined && Number(m[1].replace(/,/g, "")) !== lines) {
      r.report(span.start, `\`${span.code}\` (${m[1]} lines): the file has ${lines}`);
    }
  }
}

/**
 * Finds the names attributed to a path (`` `a`, `b` and `c` (`lib/x.ts`) ``, `` `a` in
 * `lib/x.ts` ``) and reports those the path does not export. Returns the name spans found.
 */
function checkAttributedNames(
  r: Reading,
  resolved: Map<CodeSpan, string | null>,
  ctx: Context,
): CodeSpan[] {
  const { prose, spans } = r;
  const attributed: CodeSpan[] = [];
  for (let k = 1; k < spans.length; k++) {
    const target = resolved.get(spans[k]);
    if (target === undefined) continue;
    let j = k - 1;
    const gap = prose.slice(spans[j].end, spans[k].start);
    const headed = /^\s+(?:in|of|from)\s+$/.test(gap) || /^\s*\(\s*$/.test(gap) ||
      (/^\s*,\s*$/.test(gap) && /\(\s*$/.test(prose.slice(0, spans[j].start)));
    if (!headed) continue;
    const chain = [spans[j]];
    while (j > 0 && LIST_SEPARATOR.test(prose.slice(spans[j - 1].end, spans[j].start))) {
      chain.push(spans[--j]);
    }
    for (const span of chain) {
      const name = nameOf(span.code);
      if (!name || !(NAMELIKE.test(name) || CALL.test(span.code))) continue;
      attributed.push(span);
      if (target !== null) checkExportedBy(r, span, name, target, ctx);
    }
  }
  return attributed;
}

/** Separates the names of a list: ",", "and", "or", "/". */
const LIST_SEPARATOR = /^\s*(?:,|and|or|\/|,\s*and|,\s*or)\s*$/;

/** Reports `name` when `target` (a module, or a folder of modules) does not export it. */
function checkExportedBy(r: Reading, span: CodeSpan, name: string, target: string, ctx: Context) {
  const { exports, locals, declared } = ctx.tree;
  const folder = `${target.replace(/\/$/, "")}/`;
  const modules = [...exports.keys()].filter((f) => f === target || f.startsWith(folder));
  if (modules.length === 0) return; // not a module: nothing to check the name against
  if (modules.some((f) => exports.get(f)!.has(name))) return;
  // a private function or a field the module declares: "`sequenceLength` in `config.ts`"
  if (modules.some((f) => locals?.get(f)?.has(name))) return;
  let where = [...(declared ?? exports)].filter(([, n]) => n.has(name)).map(([f]) => f);
  if (where.length === 0) where = [...exports].filter(([, n]) => n.has(name)).map(([f]) => f);
  r.report(
    span.start,
    where.length > 0
      ? `\`${name}\` is not exported by ${target}; it is in ${where.slice(0, 3).join(", ")}`
      : `\`${name}\` is not exported by ${target}, nor anywhere in lib/`,
  );
}

/**
 * Checks the names no path follows: a camelCase call must be exported by `lib/` (in a
 * module's comments: mentioned by its code, as a method such as `getWeights()` is), a
 * camelCase identifier in a Markdown doc must be mentioned by `lib/`'s code. A module's
 * comments also name tfjs's and Keras's options, so their plain identifiers are not checked.
 */
function checkOtherNames(r: Reading, skip: ReadonlySet<CodeSpan>, ctx: Context): void {
  for (const span of r.spans) {
    if (skip.has(span)) continue;
    const call = CALL.exec(span.code);
    if (call && CAMEL.test(call[1])) {
      const known = r.isSource ? ctx.tree.words : ctx.allExports;
      if (!known.has(call[1]) && !ctx.globals.has(call[1])) {
        const verb = r.isSource ? "mentioned" : "exported";
        r.report(span.start, `\`${span.code}\`: ${call[1]} is ${verb} nowhere in lib/`);
      }
    } else if (!r.isSource && IDENT.test(span.code) && CAMEL.test(span.code)) {
      if (!ctx.tree.words.has(span.code) && !ctx.globals.has(span.code)) {
        r.report(span.start, `\`${span.code}\` appears nowhere in lib/'s code`);
      }
    }
  }
}

/** Checks the relative links of a Markdown text: the file, and the heading of an anchor. */
function checkLinks(r: Reading, ctx: Context): void {
  const fenced = fencedRanges(r.prose);
  for (const m of r.prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const at = m.index!;
    if (fenced.some(([a, b]) => at >= a && at < b)) continue;
    if (r.spans.some((s) => at >= s.start && at < s.end)) continue;
    const href = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto:
    const [file, anchor] = href.split("#");
    const target = file === "" ? r.path : posix.normalize(posix.join(posix.dirname(r.path), file));
    if (file !== "" && !exists(ctx.tree.files, ctx.folders, target)) {
      if (!ctx.ignored(target)) r.report(at, `link (${href}): no such file ${target}`);
      continue;
    }
    const anchors = ctx.anchors.get(target);
    if (anchor && anchors && !anchors.has(anchor)) {
      r.report(at, `link (${href}): ${target} has no heading #${anchor}`);
    }
  }
}

/** The identifier a span names (fooBar, fooBar(), fooBar({ x })), or `null`. */
function nameOf(code: string): string | null {
  if (IDENT.test(code)) return code;
  const call = CALL.exec(code);
  return call ? call[1] : null;
}

const SKIP_DIRS = new Set([".git", "node_modules", "out", ".notes", "__pycache__"]);

/** Reads the repository at `root` into a {@linkcode DocsTree}. */
export async function loadDocsTree(root: string): Promise<DocsTree> {
  const files = new Set(await listFiles(root, { skip: SKIP_DIRS }));
  const lineCounts = new Map<string, number>();
  const sources = new Map<string, string>();
  const words = new Set<string>();
  for (const f of files) {
    if (!/\.(?:ts|md|py|wat)$/.test(f)) continue;
    const text = await Deno.readTextFile(join(root, f));
    lineCounts.set(
      f,
      text.length === 0 ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0),
    );
    if (f.startsWith("lib/") && f.endsWith(".ts")) {
      sources.set(f, text);
      for (const w of codeWords(text)) words.add(w);
    }
  }
  const declared = new Map<string, Set<string>>();
  const locals = new Map<string, Set<string>>();
  for (const [f, text] of sources) {
    declared.set(f, declaredExports(text));
    locals.set(f, localNames(text));
  }
  let gitignore = "";
  try {
    gitignore = await Deno.readTextFile(join(root, ".gitignore"));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return {
    files,
    lineCounts,
    exports: libExports(sources),
    declared,
    locals,
    words,
    globals: new Set(Object.getOwnPropertyNames(globalThis)),
    ignored: gitignoreMatcher(gitignore),
  };
}

/** The docs that are checked: the Markdown files named above and every module of `lib/`. */
export async function docTexts(root: string, tree: DocsTree): Promise<DocText[]> {
  const paths = [...tree.files].filter((f) =>
    ["README.md", "notebooks/README.md", "weights/README.md", "data/README.md"].includes(f) ||
    /^docs\/.*\.md$/.test(f) || (f.startsWith("lib/") && f.endsWith(".ts"))
  );
  return await Promise.all(
    paths.map(async (path) => ({ path, text: await Deno.readTextFile(join(root, path)) })),
  );
}

if (import.meta.main) {
  const root = Deno.args[0] ?? fileURLToPath(new URL("../..", import.meta.url));
  const tree = await loadDocsTree(root);
  const texts = await docTexts(root, tree);
  const problems = checkDocs(texts, tree);
  for (const p of problems) console.error(`${p.where}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check_docs: ${problems.length} stale reference(s)`);
    Deno.exit(1);
  }
  console.log(`check_docs: every path and name in ${texts.length} docs and modules exists`);
}
