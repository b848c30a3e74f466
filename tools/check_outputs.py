"""Every code cell whose output a reader needs has it committed (a check of the test command).

A code cell of `nbs/` that is not exported (`#| export`, `#| exporti`, `#| exports`) and not `#| eval: false`, and that
- prints (calls `print` outside a function or class it defines) must have a stdout stream output;
- draws (calls `plt.show`, `show_images`, `show_maps`, ... : any call named `show*`, `plt.*`, `imshow` or `.plot`)
  must have an image output, unless it closes its figure (`plt.close`);
- ends in an expression whose value is shown (not ending in `;`, not a call of a test helper, an assignment-like call
  or a drawing) must have a result or display output.
Cells flagged `#| slow` or `#| cuda` count too: their outputs come from a full run (`tools/execute_notebook.py`).
Exits non-zero naming every notebook and cell (0-based index, as `nbformat` counts) that lacks an output.
Usage: python tools/check_outputs.py [notebooks...] (default: every notebook under nbs/).
"""
import ast, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORT = re.compile(r"^#\|\s*(export|exporti|exports)\b", re.M)
NO_EVAL = re.compile(r"^#\|\s*eval:\s*false", re.M)
SILENT_CALLS = {"test_eq", "test_ne", "test_close", "test_fail", "test_is", "test_warns", "test_stdout", "test_eq_type",
                "test_shuffled", "test_sig", "assert_close", "setattr", "print", "exec", "seed_everything", "manual_seed",
                "close", "savefig", "tight_layout", "legend", "set_title", "axis", "colorbar", "suptitle", "update",
                "append", "extend", "write_text", "write_bytes", "mkdir", "unlink", "rmtree", "chmod", "filterwarnings",
                "simplefilter", "set_num_threads", "seed", "run", "save", "train", "eval", "rmdir", "cleanup"}

def _code(src:str) -> str:
    "The cell's Python, IPython lines (`!cmd`, `%magic`) blanked."
    return "\n".join("" if l.lstrip().startswith(("!", "%")) else l for l in src.splitlines())

def _name(call:ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""

def _owner(call:ast.Call) -> str:
    f = call.func
    return f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""

def _top_calls(tree:ast.AST):
    "Calls that surely run when the cell runs: not inside a function, lambda or class the cell defines, nor under an `if`."
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.If, ast.IfExp)): continue
        if isinstance(n, ast.Call): yield n
        todo.extend(ast.iter_child_nodes(n))

def _draws(call:ast.Call) -> bool:
    name = _name(call)
    return _owner(call) == "plt" or name.startswith("show") and name != "show_doc" or name in ("imshow", "plot")

def procedures(sources) -> set:
    "Names of the functions the notebook defines that return no value (a call of one shows nothing)."
    out = set()
    for src in sources:
        try: tree = ast.parse(_code(src))
        except SyntaxError: continue
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                own = [r for r in ast.walk(n) if isinstance(r, (ast.Return, ast.Yield, ast.YieldFrom))]
                if not any(getattr(r, "value", None) is not None for r in own): out.add(n.name)
    return out

def needs(src:str, silent:set=frozenset()) -> set:
    "What outputs the cell must have: a subset of {'stdout', 'image', 'value'}; `silent` names more calls that show nothing."
    try: tree = ast.parse(_code(src))
    except SyntaxError: return set()
    calls = list(_top_calls(tree))
    need = set()
    if any(_name(c) == "print" and isinstance(c.func, ast.Name) for c in calls): need.add("stdout")
    closes = any(_owner(c) == "plt" and _name(c) == "close" for c in calls)       # a figure drawn then closed shows nothing
    if any(_draws(c) for c in calls) and not closes: need.add("image")
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not src.rstrip().endswith(";"):
        v = last.value
        shown = not (isinstance(v, ast.Call) and (_name(v) in SILENT_CALLS | silent or _draws(v) or _name(v).startswith("test_")))
        if isinstance(v, ast.Constant) and isinstance(v.value, str): shown = False      # a docstring-like string
        if isinstance(v, (ast.Await, ast.Yield)): shown = False
        if shown: need.add("value")
    return need

def has(outputs:list) -> set:
    got = set()
    for o in outputs:
        t = o.get("output_type")
        if t == "stream" and o.get("name") == "stdout" and "".join(o.get("text", "")).strip(): got.add("stdout")
        if t in ("display_data", "execute_result"):
            data = o.get("data", {})
            if any(k.startswith("image/") for k in data): got.add("image")
            got.add("value")
    return got

def check(nb_path:Path) -> list:
    problems, name = [], nb_path.relative_to(ROOT) if nb_path.is_relative_to(ROOT) else nb_path
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    silent = procedures("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for i, c in enumerate(cells):
        if c["cell_type"] != "code": continue
        src = "".join(c["source"])
        if EXPORT.search(src) or NO_EVAL.search(src): continue
        outs = c.get("outputs", [])
        if any(o.get("output_type") == "error" for o in outs):
            problems.append(f"{name} cell {i}: the committed output is an error"); continue
        missing = needs(src, silent) - has(outs)
        if missing:
            what = {"stdout": "printed text", "image": "figure", "value": "value"}
            first = src.strip().splitlines()[0][:70] if src.strip() else ""
            problems.append(f"{name} cell {i}: no committed {', '.join(what[m] for m in sorted(missing))}"
                            f" (cell starts: {first!r}); run tools/execute_notebook.py on it")
    return problems

def main(paths) -> int:
    nbs = [Path(p).resolve() for p in paths] or sorted(p for p in (ROOT / "nbs").rglob("*.ipynb")
                                                    if not any(s.startswith((".", "_")) for s in p.relative_to(ROOT / "nbs").parts))
    problems = [p for nb in nbs for p in check(nb)]
    for p in problems: print(p)
    print(f"check_outputs: {len(nbs)} notebook(s), {len(problems)} cell(s) without the output they produce")
    return 1 if problems else 0

if __name__ == "__main__": sys.exit(main(sys.argv[1:]))
