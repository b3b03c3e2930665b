#!/usr/bin/env python3
"""Run the project's notebooks headless in the Deno Jupyter kernel and check their outputs.

Usage (from the repository root; `deno task notebooks` runs the first form):

    python3 notebooks/_run.py                      # every notebooks/*.ipynb, quick mode
    python3 notebooks/_run.py notebooks/01_x.ipynb # just these
    python3 notebooks/_run.py --full               # without NOTEBOOK_QUICK=1
    python3 notebooks/_run.py --timeout 900 --grace 2 --out out/notebooks

Why not `jupyter nbconvert --execute`: the Deno kernel (2.9.x) sometimes publishes a cell's
outputs *after* it reports `status: idle`, and nbconvert then drops them silently. This
runner waits for both the execute_reply and the idle status of each cell, then keeps
reading until no message for that cell has arrived for a grace period; outputs that arrive
later still (even during a later cell) go to the cell that produced them.

What it does, per notebook:
- starts one Deno kernel with the notebook's folder as working directory (so
  `import ... from "../lib/mod.ts"` resolves) and NOTEBOOK_QUICK=1 in its environment
  (unless --full), NO_COLOR=1 so error texts stay readable;
- runs each code cell in order; applies `update_display_data` to the output that carries
  the same display id; honours `clear_output`;
- fails the notebook (and the run exits 1) on an error output, an execute_reply with status
  "error", a cell that runs longer than --timeout seconds, or a missing expected output;
- fails it too when a figure output (one with plotly JSON) lacks its static picture: an
  image/svg+xml form and an <img> in its text/html, which is what untrusted front ends and
  static viewers show (see lib/notebook/display.ts);
- writes the executed notebook to <out>/<name>.ipynb (also when it failed, up to the
  failing cell), signs it as `jupyter trust` does (nbformat's NotebookNotary, in the
  user's Jupyter data folder; --no-sign leaves it unsigned), so it opens trusted on this
  machine, and prints a summary line.

Expected outputs: a code cell may carry metadata `{"expect": ["plotly", "table"]}`; each
kind listed must appear among that cell's outputs:
    plotly  an output with application/vnd.plotly.v1+json
    audio   a text/html output containing "<audio"
    table   a text/html output containing "<table"
    html    any text/html output
    image   an image/png, image/jpeg or image/svg+xml output
    stdout  text written to stdout
    result  an execute_result (the value of the cell's last expression)
A kind may carry a minimum count, e.g. "plotly:2". Cells tagged "raises-exception" may fail.

Family cells: a code cell with metadata `{"family": "tutorial"}` (or "classic") teaches one
model family and guards itself (`perFamily([config], { tutorial: ..., classic: ... })`, whose
entry for the other family prints "(tutorial family only)"). Its expectations
apply only when the notebook session (`out/notebook-session.json`, written by 01_setup) is of
that family; in a session of the other family it must still run without error and may only
write text (a display there means the guard is missing). When NOTEBOOK_FAMILY is set, the
session must be of that family.

The kernel is started from a private kernelspec that points at `deno` on PATH, so
`deno jupyter --install` is not needed; --kernel-name NAME uses an installed kernelspec
instead. Needs jupyter_client and nbformat (Debian: python3-jupyter-client,
python3-nbformat); if the python3 on PATH lacks them the script re-runs itself with
/usr/bin/python3.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import sys
import tempfile
import time
from pathlib import Path

try:
    import jupyter_client  # noqa: F401
    import nbformat
    from nbformat.sign import NotebookNotary
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
except ImportError as exc:  # pragma: no cover - depends on the machine
    system_python = "/usr/bin/python3"
    if os.path.exists(system_python) and os.path.realpath(sys.executable) != os.path.realpath(
        system_python
    ) and not os.environ.get("_NOTEBOOK_RUNNER_REEXEC"):
        os.environ["_NOTEBOOK_RUNNER_REEXEC"] = "1"
        os.execv(system_python, [system_python, *sys.argv])
    sys.exit(
        f"notebooks/_run.py: needs the Python packages jupyter_client and nbformat ({exc}); "
        "on Debian: apt-get install python3-jupyter-client python3-nbformat python3-ipykernel"
    )

REPO = Path(__file__).resolve().parent.parent
KINDS = ("plotly", "audio", "table", "html", "image", "stdout", "result")
FAMILIES = ("tutorial", "classic")
SESSION_FILE = REPO / "out" / "notebook-session.json"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
SVG_MIME = "image/svg+xml"


class NotebookFailure(Exception):
    """A notebook failed; the message names the notebook and the cell."""


# ----------------------------------------------------------------------------------------
# output bookkeeping


def output_kinds(output: dict) -> list[str]:
    """The expectation kinds one nbformat output counts as."""
    kinds = []
    otype = output.get("output_type")
    if otype == "stream":
        if output.get("name") == "stdout" and output.get("text"):
            kinds.append("stdout")
        return kinds
    if otype not in ("display_data", "execute_result"):
        return kinds
    if otype == "execute_result":
        kinds.append("result")
    data = output.get("data", {})
    html = data.get("text/html", "")
    if isinstance(html, list):
        html = "".join(html)
    if PLOTLY_MIME in data:
        kinds.append("plotly")
    if html:
        kinds.append("html")
        if "<audio" in html:
            kinds.append("audio")
        if "<table" in html:
            kinds.append("table")
    if any(m in data for m in ("image/png", "image/jpeg", "image/svg+xml")):
        kinds.append("image")
    return kinds


def figures_without_picture(record: "CellRecord") -> int:
    """How many of a cell's figure outputs lack the static picture (SVG and <img> in HTML)."""
    missing = 0
    for output in record.outputs:
        data = output.get("data", {})
        if PLOTLY_MIME not in data:
            continue
        html = data.get("text/html", "")
        if isinstance(html, list):
            html = "".join(html)
        if SVG_MIME not in data or "<img" not in html:
            missing += 1
    return missing


def sign_notebook(path: Path) -> str | None:
    """Signs a written notebook as `jupyter trust` does; returns a problem, or None."""
    try:
        # Sign what a reader of the file gets, so the signature matches when it is opened.
        NotebookNotary().sign(nbformat.read(str(path), as_version=4))
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not fatal
        return f"could not sign {path} ({type(exc).__name__}: {exc})"
    return None


def parse_expect(cell: dict, where: str) -> dict[str, int]:
    """Reads a cell's `expect` metadata into {kind: minimum count}."""
    raw = cell.get("metadata", {}).get("expect", [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise NotebookFailure(f"{where}: metadata.expect: expected a list of kinds, got {raw!r}")
    wanted: dict[str, int] = {}
    for item in raw:
        kind, _, count = str(item).partition(":")
        if kind not in KINDS:
            raise NotebookFailure(
                f"{where}: metadata.expect: unknown kind {kind!r}, "
                f"expected one of {', '.join(KINDS)}"
            )
        try:
            wanted[kind] = max(wanted.get(kind, 0), int(count) if count else 1)
        except ValueError:
            raise NotebookFailure(
                f"{where}: metadata.expect: {item!r}: expected KIND or KIND:COUNT"
            ) from None
    return wanted


def cell_family(cell: dict, where: str) -> str | None:
    """A cell's `family` metadata: None, or one of FAMILIES."""
    family = cell.get("metadata", {}).get("family")
    if family is not None and family not in FAMILIES:
        raise NotebookFailure(
            f"{where}: metadata.family: expected one of {', '.join(FAMILIES)}, got {family!r}"
        )
    return family


def session_family(where: str) -> str:
    """The family of the notebook session 01_setup saved (checked against NOTEBOOK_FAMILY)."""
    try:
        family = json.loads(SESSION_FILE.read_text()).get("family")
    except (OSError, ValueError) as exc:
        raise NotebookFailure(
            f"{where}: a family cell needs the notebook session {SESSION_FILE} "
            f"(run notebooks/01_setup first): {exc}"
        ) from None
    wanted = os.environ.get("NOTEBOOK_FAMILY")
    if wanted and family != wanted:
        raise NotebookFailure(
            f"{where}: NOTEBOOK_FAMILY is {wanted!r}, but {SESSION_FILE} says {family!r}"
        )
    return family


class CellRecord:
    """The outputs collected for one executed cell."""

    def __init__(self, index: int, cell: dict):
        self.index = index
        self.cell = cell
        self.outputs: list[dict] = []
        self.clear_pending = False
        self.reply: dict | None = None
        self.idle = False
        self.invalid_messages = 0
        self.last_message = time.monotonic()
        self.errors: list[str] = []


class OutputRouter:
    """Turns iopub messages into nbformat outputs on the cell that produced them."""

    def __init__(self):
        self.by_msg_id: dict[str, CellRecord] = {}
        # display_id -> list of (record, output) that show it
        self.displays: dict[str, list[tuple[CellRecord, dict]]] = {}
        self.late: list[str] = []

    def add(self, record: CellRecord, msg_id: str):
        self.by_msg_id[msg_id] = record

    def handle(self, msg: dict, current: CellRecord | None):
        parent = msg.get("parent_header", {}).get("msg_id")
        record = self.by_msg_id.get(parent)
        if record is None:
            return
        mtype = msg["header"]["msg_type"]
        content = msg["content"]
        record.last_message = time.monotonic()
        if record is not current and mtype not in ("status",):
            self.late.append(f"cell {record.index}: {mtype} arrived while a later cell ran")
        if mtype == "status":
            if content.get("execution_state") == "idle":
                record.idle = True
            return
        if mtype in ("execute_input", "comm_open", "comm_msg", "comm_close"):
            return
        if mtype == "clear_output":
            if content.get("wait"):
                record.clear_pending = True
            else:
                record.outputs.clear()
            return
        if mtype == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for _, output in self.displays.get(display_id, []):
                output["data"] = content.get("data", {})
                output["metadata"] = content.get("metadata", {})
            return
        if mtype not in ("stream", "display_data", "execute_result", "error"):
            return
        if record.clear_pending:
            record.outputs.clear()
            record.clear_pending = False
        if mtype == "stream":
            last = record.outputs[-1] if record.outputs else None
            if last and last["output_type"] == "stream" and last["name"] == content["name"]:
                last["text"] += content.get("text", "")
            else:
                record.outputs.append(
                    nbformat.v4.new_output(
                        "stream", name=content["name"], text=content.get("text", "")
                    )
                )
            return
        if mtype == "error":
            output = nbformat.v4.new_output(
                "error",
                ename=content.get("ename", "Error"),
                evalue=content.get("evalue", ""),
                traceback=content.get("traceback", []),
            )
            record.outputs.append(output)
            record.errors.append(f"{content.get('ename', 'Error')}: {content.get('evalue', '')}")
            return
        kwargs = {"data": content.get("data", {}), "metadata": content.get("metadata", {})}
        if mtype == "execute_result":
            kwargs["execution_count"] = content.get("execution_count")
        output = nbformat.v4.new_output(mtype, **kwargs)
        record.outputs.append(output)
        display_id = content.get("transient", {}).get("display_id")
        if display_id:
            self.displays.setdefault(display_id, []).append((record, output))


# ----------------------------------------------------------------------------------------
# kernel


def private_kernelspec_dir() -> str:
    """A temporary kernelspec folder with a `deno` kernel that runs `deno` from PATH."""
    deno = shutil.which("deno")
    if not deno:
        raise NotebookFailure("deno: expected the deno executable on PATH, found none")
    root = tempfile.mkdtemp(prefix="deno-kernelspec-")
    spec_dir = Path(root) / "deno"
    spec_dir.mkdir()
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
                "display_name": "Deno",
                "language": "typescript",
            }
        )
    )
    return root


def start_kernel(args, cwd: Path, spec_root: str | None) -> tuple[KernelManager, object]:
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    if args.full:
        env.pop("NOTEBOOK_QUICK", None)
    else:
        env["NOTEBOOK_QUICK"] = "1"
    if spec_root:
        km = KernelManager(
            kernel_name="deno", kernel_spec_manager=KernelSpecManager(kernel_dirs=[spec_root])
        )
    else:
        km = KernelManager(kernel_name=args.kernel_name)
    km.start_kernel(cwd=str(cwd), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=args.startup_timeout)
    except RuntimeError as exc:
        stop_kernel(km, kc)
        raise NotebookFailure(
            f"kernel did not start within {args.startup_timeout:g} s ({exc})"
        ) from None
    return km, kc


def stop_kernel(km: KernelManager, kc) -> None:
    try:
        kc.stop_channels()
    finally:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


def next_iopub(kc, router: OutputRouter, current: CellRecord, wait: float) -> bool:
    """Handles one iopub message; False when none came within `wait` seconds.

    The Deno kernel occasionally sends a message whose HMAC signature does not verify
    (seen under load, likely frames of two messages interleaving). jupyter_client then
    raises ValueError; the message is lost, so it is counted, reported, and reading goes on.
    A lost message that mattered shows up as a missing expected output or a missing idle
    status, which `run_cell` handles.
    """
    try:
        router.handle(kc.get_iopub_msg(timeout=wait), current)
    except queue.Empty:
        return False
    except ValueError as exc:
        if "Signature" not in str(exc):
            raise
        current.invalid_messages += 1
        current.last_message = time.monotonic()
    return True


def pump(kc, router: OutputRouter, current: CellRecord, wait: float) -> None:
    """Reads whatever the kernel sent (iopub and shell) for up to `wait` seconds."""
    if next_iopub(kc, router, current, wait):
        while next_iopub(kc, router, current, 0):  # drain what is already queued
            pass
    try:
        while True:
            reply = kc.get_shell_msg(timeout=0)
            parent = reply.get("parent_header", {}).get("msg_id")
            record = router.by_msg_id.get(parent)
            if record is not None and reply["header"]["msg_type"] == "execute_reply":
                record.reply = reply["content"]
                record.last_message = time.monotonic()
    except queue.Empty:
        pass


def run_cell(kc, router: OutputRouter, record: CellRecord, args, where: str) -> None:
    source = record.cell.source
    msg_id = kc.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
    router.add(record, msg_id)
    started = time.monotonic()
    while not (record.reply is not None and record.idle):
        if (
            record.reply is not None
            and record.invalid_messages
            and time.monotonic() - record.last_message > 5 * args.grace
        ):
            break  # the idle status was probably the message that failed its signature
        if time.monotonic() - started > args.timeout:
            raise NotebookFailure(
                f"{where}: timed out after {args.timeout:g} s (no execute_reply and idle status; "
                "raise --timeout or make the cell faster in quick mode)"
            )
        pump(kc, router, record, 0.2)
    # The Deno kernel can publish outputs after idle: keep reading until quiet.
    while time.monotonic() - record.last_message < args.grace:
        pump(kc, router, record, 0.1)


def count_kinds(record: CellRecord) -> dict[str, int]:
    """How many outputs of each kind a cell produced."""
    have = dict.fromkeys(KINDS, 0)
    for output in record.outputs:
        for kind in output_kinds(output):
            have[kind] += 1
    return have


def missing_kinds(record: CellRecord, wanted: dict[str, int]) -> list[str]:
    """The expected outputs a cell did not produce, as 'kind (wanted n, got m)'."""
    have = count_kinds(record)
    return [f"{k} (wanted {n}, got {have[k]})" for k, n in wanted.items() if have[k] < n]


def run_notebook(path: Path, args, spec_root: str | None, label: str) -> dict:
    """Runs one notebook (path absolute; label is how messages name it)."""
    name = path.stem
    nb = nbformat.read(str(path), as_version=4)
    out_path = Path(args.out) / f"{name}.ipynb"
    counts = dict.fromkeys(KINDS, 0)
    cells_run = 0
    started = time.monotonic()
    router = OutputRouter()
    records: list[CellRecord] = []
    skipped_cells: list[int] = []
    failure: str | None = None
    km, kc = start_kernel(args, path.parent, spec_root)
    try:
        code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        for index, cell in code_cells:
            where = f"{label}: cell {index}"
            wanted = parse_expect(cell, where)
            family = cell_family(cell, where)
            record = CellRecord(index, cell)
            records.append(record)
            cell.outputs = []
            if not cell.source.strip():
                continue
            cells_run += 1
            run_cell(kc, router, record, args, where)
            if record.invalid_messages and missing_kinds(record, wanted):
                # The kernel garbled a message (a transport fault, not the cell's): run the
                # cell once more rather than fail the notebook, and say so in the summary.
                router.late.append(
                    f"cell {index}: a message with an invalid signature lost an expected "
                    "output; the cell was run again"
                )
                record = CellRecord(index, cell)
                records[-1] = record
                run_cell(kc, router, record, args, where)
            if record.invalid_messages:
                router.late.append(
                    f"cell {index}: {record.invalid_messages} message(s) with an invalid "
                    "signature from the kernel were dropped"
                )
            cell.outputs = record.outputs
            cell.execution_count = (record.reply or {}).get("execution_count")
            allowed = "raises-exception" in cell.get("metadata", {}).get("tags", [])
            status = (record.reply or {}).get("status")
            if (record.errors or status == "error") and not allowed:
                reply = record.reply or {}
                detail = "; ".join(record.errors) or (
                    f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
                )
                raise NotebookFailure(f"{where}: the cell failed: {detail}")
            have = count_kinds(record)
            if family is not None and family != session_family(where):
                shown = [k for k in KINDS if k not in ("stdout",) and have[k]]
                if shown:
                    raise NotebookFailure(
                        f"{where}: a {family}-family cell displayed {', '.join(shown)} in a "
                        f"{session_family(where)} session (expected only text: is its guard missing?)"
                    )
                skipped_cells.append(index)
                continue
            missing = missing_kinds(record, wanted)
            if missing:
                got = ", ".join(f"{k}={v}" for k, v in have.items() if v) or "no outputs"
                raise NotebookFailure(
                    f"{where}: expected output missing after {args.grace:g} s grace: "
                    f"{', '.join(missing)}; the cell gave {got}"
                )
            bare = figures_without_picture(record)
            if bare:
                raise NotebookFailure(
                    f"{where}: {bare} figure output(s) without a static picture (expected "
                    f"{SVG_MIME} and an <img> in text/html beside the plotly JSON)"
                )
    except NotebookFailure as exc:
        failure = str(exc)
    finally:
        # Late outputs may still be on the way for the last cell(s).
        for record in records:
            record.cell.outputs = record.outputs
        stop_kernel(km, kc)
    for record in records:
        for output in record.outputs:
            for kind in output_kinds(output):
                counts[kind] += 1
    nb.metadata.setdefault(
        "kernelspec", {"name": "deno", "display_name": "Deno", "language": "typescript"}
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out_path))
    sign_problem = None if args.no_sign else sign_notebook(out_path)
    if sign_problem:
        router.late.append(sign_problem)
    return {
        "path": label,
        "out": str(out_path),
        "cells": cells_run,
        "counts": counts,
        "seconds": time.monotonic() - started,
        "failure": failure,
        "late": router.late,
        "other_family": skipped_cells,
        "signed": not args.no_sign and sign_problem is None,
        "bytes": out_path.stat().st_size,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Run notebooks headless in the Deno kernel and check their outputs."
    )
    parser.add_argument(
        "notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)"
    )
    parser.add_argument("--full", action="store_true", help="do not set NOTEBOOK_QUICK=1")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per cell (default 600)")
    parser.add_argument(
        "--grace", type=float, default=1.5,
        help="seconds of quiet after a cell's reply and idle status before it counts as done "
        "(default 1.5)",
    )
    parser.add_argument(
        "--startup-timeout", type=float, default=120, help="seconds for the kernel to start"
    )
    parser.add_argument(
        "--out", default=str(REPO / "out" / "notebooks"), help="folder for executed notebooks"
    )
    parser.add_argument(
        "--kernel-name", default=None,
        help="use this installed kernelspec instead of a private one that runs deno from PATH",
    )
    parser.add_argument(
        "--no-sign", action="store_true",
        help="leave the executed notebooks unsigned (by default they are signed as "
        "`jupyter trust` does, so they open trusted on this machine)",
    )
    args = parser.parse_args(argv)

    paths = [Path(p) for p in args.notebooks] or sorted(
        p for p in (REPO / "notebooks").glob("*.ipynb") if not p.name.startswith("_")
    )
    if not paths:
        print("notebooks/_run.py: no notebooks found (expected notebooks/*.ipynb)", file=sys.stderr)
        return 1
    for p in paths:
        if not p.is_file():
            print(f"notebooks/_run.py: {p}: expected a notebook file, found none", file=sys.stderr)
            return 1

    try:
        spec_root = None if args.kernel_name else private_kernelspec_dir()
    except NotebookFailure as exc:
        print(f"notebooks/_run.py: {exc}", file=sys.stderr)
        return 1
    failures = []
    mode = "full" if args.full else "quick (NOTEBOOK_QUICK=1)"
    print(
        f"Running {len(paths)} notebook(s), {mode}, per-cell timeout {args.timeout:g} s",
        flush=True,
    )
    try:
        for p in paths:
            try:
                result = run_notebook(p.resolve(), args, spec_root, str(p))
            except NotebookFailure as exc:  # the kernel did not start
                failures.append(f"{p}: {exc}")
                print(f"FAIL {p}: {exc}", flush=True)
                continue
            counts = (
                " ".join(f"{k}={v}" for k, v in result["counts"].items() if v) or "none"
            )
            status = "FAIL" if result["failure"] else "ok  "
            print(
                f"{status} {p}: {result['cells']} cells run, outputs: {counts}, "
                f"{result['seconds']:.1f} s -> {result['out']} "
                f"({result['bytes'] / 1e6:.2f} MB{', signed' if result['signed'] else ''})",
                flush=True,
            )
            if result["other_family"]:
                cells = ", ".join(str(i) for i in result["other_family"])
                print(f"     note: the other family's cells ({cells}) ran as text only", flush=True)
            for note in result["late"]:
                print(f"     note: {note}", flush=True)
            if result["failure"]:
                print(f"     {result['failure']}", flush=True)
                failures.append(result["failure"])
    finally:
        if spec_root:
            shutil.rmtree(spec_root, ignore_errors=True)
    if failures:
        print(f"{len(failures)} of {len(paths)} notebook(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
    print(f"All {len(paths)} notebook(s) passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
