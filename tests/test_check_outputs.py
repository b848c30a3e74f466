"tools/check_outputs.py: a cell that prints, draws or shows a value must have that output committed."
import json, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_outputs as co

def _nb(tmp_path, cells) -> Path:
    nb = dict(nbformat=4, nbformat_minor=5, metadata={}, cells=[dict(cell_type="code", id=f"c{i}", metadata={}, execution_count=None,
                                                                       source=src, outputs=outs) for i, (src, outs) in enumerate(cells)])
    p = tmp_path / "nb.ipynb"; p.write_text(json.dumps(nb)); return p

STREAM = dict(output_type="stream", name="stdout", text=["7\n"])
IMAGE = dict(output_type="display_data", data={"image/png": "iVBO", "text/plain": ["<Figure>"]}, metadata={})
VALUE = dict(output_type="execute_result", data={"text/plain": ["3"]}, metadata={}, execution_count=None)

def test_needs():
    assert co.needs("print(7)") == {"stdout"}
    assert co.needs("show_images(x)\nplt.show()") == {"image"}
    assert co.needs("fig = show_images(x)\nplt.close(fig)") == set()        # drawn and closed: nothing to show
    assert co.needs("x = 1\nx + 2") == {"value"}
    assert co.needs("x + 2;") == set()                                    # a trailing ; hides the value
    assert co.needs("test_eq(1, 1)") == set()                              # a test helper shows nothing
    assert co.needs("def f():\n    print(1)") == set()                   # defined, not called
    assert co.needs("if flag: print('optional')") == set()                # conditional: not required
    assert co.needs("report()", silent={"report"}) == set()               # a procedure of the notebook
    assert co.needs("!ls\nprint(1)") == {"stdout"}                        # shell lines are skipped, not a syntax error

def test_check_names_the_missing_outputs(tmp_path):
    p = _nb(tmp_path, [("#| export\ndef f(): return 1", []), ("print(f())", [STREAM]), ("print(2)\nshow_images(x)", [STREAM]),
                       ("f() + 1", []), ("#| eval: false\nprint(3)", []), ("#| slow\nprint(4)", []),
                       ("print(5)", [dict(output_type="error", ename="E", evalue="boom", traceback=[])])])
    problems = co.check(p)
    assert len(problems) == 4, problems
    assert "cell 2: no committed figure" in problems[0] and "cell 3: no committed value" in problems[1]
    assert "cell 5: no committed printed text" in problems[2]                # slow cells count: their outputs come from a full run
    assert "cell 6: the committed output is an error" in problems[3]

def test_a_complete_notebook_passes(tmp_path):
    p = _nb(tmp_path, [("print(1)\nshow_images(x)\nplt.show()", [STREAM, IMAGE]), ("x", [VALUE])])
    assert co.check(p) == [] and co.main([str(p)]) == 0
