"""Run a notebook top to bottom, `slow` cells included, and save its outputs in place (what the docs then show).

`nbdev_test` runs notebooks but keeps no outputs; chapters whose paper-size cells are flagged `#| slow` commit the outputs of
a full run made with this script. Cells flagged `#| cuda` run only when CUDA is available; `#| eval: false` cells never.
Usage: python tools/execute_notebook.py [--keep-slow] nbs/13_i3ad.ipynb [more notebooks]; then `nbdev_clean`.
--keep-slow runs every cell but the `slow` ones, which keep their committed outputs: for a change that touches no code a
slow cell runs (the cells after it must not need its variables).
"""
import os, re, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

def _skip(cell, cuda:bool, keep_slow:bool=False) -> bool:
    src = cell.source if isinstance(cell.source, str) else "".join(cell.source)
    flags = {m.group(1).strip() for m in re.finditer(r"^#\|\s*(.+)$", src, re.M)}
    return "eval: false" in flags or ("cuda" in flags and not cuda) or (keep_slow and "slow" in flags)

class JupyterShell(CaptureShell):
    """execnb's shell, but a cell that ends in `;` keeps what it printed: Jupyter hides only the cell's value there, while
    execnb drops its stdout too (a cell that prints a number and then draws would lose the number)."""
    def _run(self, raw_cell, *args, **kwargs):
        quiet = raw_cell.rstrip().endswith(";")
        res = super()._run(raw_cell.rstrip()[:-1] if quiet else raw_cell, *args, **kwargs)
        if quiet: res.quiet = True
        return res

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\r")

def _drop_control_streams(nb) -> None:
    "Remove stream outputs that hold only terminal control sequences (the line clearing of widgets and progress bars)."
    for c in nb.cells:
        if "outputs" in c:
            c.outputs = [o for o in c.outputs if not (o.get("output_type") == "stream" and not ANSI.sub("", "".join(o.get("text", ""))).strip())]

def run(path:Path, keep_slow:bool=False):
    import torch
    nb = read_nb(path)
    cuda = torch.cuda.is_available()
    os.environ.setdefault("MPLBACKEND", "Agg")
    here = os.getcwd(); os.chdir(path.parent)          # relative paths as under nbdev_test: from the notebook's folder
    try:
        sh = JupyterShell(path=path.parent)
        sh.run_all(nb, exc_stop=True, preproc=lambda c: _skip(c, cuda, keep_slow))
    finally: os.chdir(here)
    _drop_control_streams(nb)
    write_nb(nb, path)
    print(f"executed and saved {path}")

if __name__ == "__main__":
    args = sys.argv[1:]
    keep = "--keep-slow" in args
    for p in (a for a in args if a != "--keep-slow"): run(Path(p).resolve(), keep_slow=keep)
