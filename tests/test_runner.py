"The benchmarks' one runner (`benchmarks/summary.py`): a protocol record in, a result row out; every benchmark that trains a method goes through it."
import argparse, ast, sys
from pathlib import Path
from inpaint_tutorial.training import TrainSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import summary

TRAINERS = {"train", "fit", "fit_method"}   # pipeline.train, training.fit, training.fit_method
EXCEPTIONS_AT_MOST = 3

def test_protocol_from_a_command_line():
    a = argparse.Namespace(epochs=3, budget=None, bs=4, lr=1e-3, patience=5, augment="none", precision="bf16")
    assert summary.protocol(a, val_fraction=0.2, seed=1) == TrainSettings(n_epochs=3, bs=4, patience=5, precision="bf16", channels_last="on",
                                                                          val_fraction=0.2, seed=1)
    b = argparse.Namespace(epochs=10_000, budget=2.5, bs=8, lr=1e-3)     # a script without --patience: the fixed value stays
    assert summary.protocol(b, patience=1000).max_minutes == 2.5 and summary.protocol(b, patience=1000).patience == 1000

def test_train_and_score_rows():
    run = TrainSettings(n_epochs=1, bs=4, max_steps=1, seed=0)
    row, r, test_ds = summary.train_and_score("pixelstats", None, "synthetic:n_train=8,n_test=6", 32, run)
    assert 0 <= row["image_auroc"] <= 1 and row["n_test"] == len(test_ds) == 6 and row["seed"] == 0 and "pixel_auroc" in row
    trained, _, _ = summary.train_and_score("pixelstats", None, "synthetic:n_train=8,n_test=6", 32, run, score=False)
    assert "image_auroc" not in trained and trained["n_train"] == 8

def trainer_calls(path:Path) -> set[str]:
    "Names of the functions of a script that call pipeline.train, fit or fit_method themselves."
    tree = ast.parse(path.read_text())
    out = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)): continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) and getattr(f.value, "id", None) == "pipeline" else f.id if isinstance(f, ast.Name) else None
                if name in TRAINERS: out.add(fn.name)
    return out

def test_every_benchmark_trains_through_the_runner():
    calls = {f"{p.stem}.{name}" for p in sorted((ROOT / "benchmarks").glob("*.py")) for name in trainer_calls(p)}
    others = calls - {"summary.train_and_score"}
    assert "summary.train_and_score" in calls and len(others) <= EXCEPTIONS_AT_MOST, sorted(others)
    for name in others:   # each exception says in its docstring why it trains by itself
        doc = ast.get_docstring(ast.parse((ROOT / "benchmarks" / f"{name.split('.')[0]}.py").read_text()))
        assert "rather than the benchmarks' runner" in doc, name
