"""The `inpaint-tutorial` console script, end to end, as a user runs it."""
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

EXE = shutil.which("inpaint-tutorial") or str(Path(sys.executable).parent / "inpaint-tutorial")

def run(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)

def test_demo_writes_report(tmp_path):
    r = run("demo", "--out", str(tmp_path / "rep"), "--size", "32", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert str((tmp_path / "rep").resolve()) in r.stdout
    summary = json.loads((tmp_path / "rep" / "summary.json").read_text())
    assert summary["seed"] == 1 and summary["size"] == 32 and summary["masks_partition_every_image"] is True
    assert summary["n_defective"] > 0
    from PIL import Image
    im = Image.open(tmp_path / "rep" / "pipeline.png"); im.load()
    assert im.size[0] > 300 and im.size[1] > 100

@pytest.mark.parametrize("args,needle", [(("demo", "--size", "40"), "multiple of 16"),
                                         (("demo", "--size", "abc"), "expected an integer"),
                                         (("demo", "--seed", "-3"), "must be in [0, 2**32)"),
                                         (("frobnicate",), "invalid choice")])
def test_bad_options_one_line_no_traceback(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr

def test_unwritable_out_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("demo", "--out", str(blocker / "sub"), "--size", "32")
    assert r.returncode != 0 and "Traceback" not in r.stderr and str(blocker) in r.stderr
