"The BENCHMARKS.md figure check: it passes on traced figures and fails on a changed one, a missing source and an untraced section."
import importlib.util, json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_figures", ROOT / "tools" / "check_figures.py")
cf = importlib.util.module_from_spec(spec); spec.loader.exec_module(cf)

def write(tmp, md:str):
    (tmp / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (tmp / "benchmarks" / "results" / "r.json").write_text(json.dumps(
        {"rows": [{"method": "a", "mean": {"auroc": 0.91234, "ms": 0.0123}}, {"method": "b", "mean": {"auroc": 0.8, "ms": 0.05}}],
         "other": [0.25 * i for i in range(200)]}))   # more than 100 numbers: the whole file is not one record
    (tmp / "B.md").write_text(md)
    return cf.check(tmp / "B.md", root=tmp, untraced={})

TABLE = "## Run\n\n`benchmarks/results/r.json`\n\n| method | AUROC | ms |\n|---|---|---|\n| a | {} | 12.3 |\n| b | 0.800 | 50 |\n\nA prose figure: 0.912.\n"

def test_traced_figures_pass(tmp_path):
    assert write(tmp_path, TABLE.format("0.912")) == []

def test_changed_table_figure_fails(tmp_path):
    problems = write(tmp_path, TABLE.format("0.921"))
    assert len(problems) == 1 and "0.921" in problems[0] and "r.json" in problems[0]

def test_figures_of_two_rows_mixed_fail(tmp_path):   # a row must come from one record: a's AUROC with b's time is refused
    assert write(tmp_path, "## Run\n\n`benchmarks/results/r.json`\n\n| a | 0.912 | 50.0 |\n|---|---|---|\n") != []

def test_changed_prose_figure_fails(tmp_path):
    assert any("0.777" in p for p in write(tmp_path, TABLE.format("0.912").replace("0.912.", "0.777.")))

def test_missing_source_and_untraced_section_fail(tmp_path):
    assert any("does not exist" in p for p in write(tmp_path, "## Run\n\n`benchmarks/results/gone.json`: 0.5 of it\n"))
    assert any("names no result file" in p for p in write(tmp_path, "## Run\n\nAUROC 0.912\n"))
