/** Child processes for the tests that need two processes at once. */
import { denoRunArgs, ROOT } from "./_tiny_runs.ts";

/** A running child `deno run -A` of a script of this repository. */
export interface Child {
  process: Deno.ChildProcess;
  /** Resolves with the first stdout line matching `pattern` (rejects when stdout ends first). */
  waitFor(pattern: RegExp): Promise<string>;
  /** Closes the child's stdin, waits for it to exit, and returns its exit code and output. */
  finish(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `script` with `args`; stdin, stdout and stderr are piped. */
export function startScript(script: string, args: string[]): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(script, args),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = process.stdout.getReader();
  const stderrText = new Response(process.stderr).text();
  let ended = false;
  const pump = async () => {
    const { value, done } = await reader.read();
    if (done) ended = true;
    else stdout += decoder.decode(value, { stream: true });
  };
  const writer = process.stdin.getWriter();
  let stdinClosed = false;
  return {
    process,
    async waitFor(pattern) {
      while (true) {
        const line = stdout.split("\n").find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (ended) {
          throw new Error(
            `${script} ended before printing ${pattern}; stdout:\n${stdout}\nstderr:\n${await stderrText}`,
          );
        }
        await pump();
      }
    },
    async finish() {
      if (!stdinClosed) {
        stdinClosed = true;
        await writer.close().catch(() => {});
      }
      while (!ended) await pump();
      const status = await process.status;
      return { code: status.code, stdout, stderr: await stderrText };
    },
  };
}
