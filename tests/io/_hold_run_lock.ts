/**
 * Takes the lock of a run folder and holds it, for `run_folder_test.ts`:
 *
 * ```
 * deno run -A tests/io/_hold_run_lock.ts RUN_DIR [release|exit|wait]
 * ```
 *
 * Prints `locked <pid>` once it holds the lock. `wait` (the default) then holds it until
 * stdin closes and releases it; `exit` calls `Deno.exit(0)` without releasing it (the
 * process's exit must); `release` releases it at once.
 */
import { lockRunFolder } from "../../lib/io/run_folder.ts";

const [runDir, mode = "wait"] = Deno.args;
const lock = await lockRunFolder(runDir, { command: "hold-run-lock test helper" });
console.log(`locked ${Deno.pid}`);
if (mode === "exit") Deno.exit(0);
if (mode === "wait") {
  for await (const _ of Deno.stdin.readable) {
    // hold until the parent closes stdin
  }
}
await lock.release();
console.log("released");
