"""I3AD through the command line: training and calibration, reusing another method's checkpoint, refusing a non-inpainting one."""
import json, subprocess
from pathlib import Path
import pytest
from inpaint_tutorial.core import fake_mvtec
from test_cli import EXE, one_line_error

SMOKE = ["--size", "32", "--epochs", "2", "--steps-per-epoch", "2", "--quiet"]

def run(*args, timeout=600):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout)

@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("i3ad")
    return d, fake_mvtec(d, "widget", size=32, n_train=8, defects={"scratch": 2, "hole": 2})

def test_train_calibrates_and_evaluates(data, tmp_path):
    d, cat = data
    r = run("train", "--method", "i3ad", "--T", "2", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", *SMOKE)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert cfg["method"] == "i3ad" and cfg["stage"] == "calibrate" and cfg["settings"]["T"] == 2
    assert (tmp_path / "run" / "stages" / "inpaint" / "best" / "model.safetensors").is_file()
    r = run("evaluate", "--checkpoint", tmp_path / "run", "--out", tmp_path / "ev")
    assert r.returncode == 0, r.stderr
    a, b = (json.loads(p.read_text()) for p in (tmp_path / "run" / "metrics.json", tmp_path / "ev" / "metrics.json"))
    assert a["image_auroc"] == b["image_auroc"] and 0 <= a["aupro"] <= 1
    r = run("predict", "--checkpoint", tmp_path / "run", "--out", tmp_path / "pr", Path(cat) / "test" / "good")
    assert r.returncode == 0, r.stderr

@pytest.mark.parametrize("source", [["--method", "riad"], ["--method", "csa", "--pretrain", "false"]])
def test_reuses_another_methods_checkpoint(data, tmp_path, source):
    d, cat = data
    r = run("train", *source, "--dataset", f"mvtec:{cat}", "--out", tmp_path / "src", *SMOKE)
    assert r.returncode == 0, r.stderr
    r = run("train", "--method", "i3ad", "--init", tmp_path / "src" / "best", "--finetune", "false", "--rule", "per-image",
            "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", *SMOKE)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    net = json.loads((tmp_path / "src" / "best" / "config.json").read_text())["model"]
    assert cfg["model"]["net"] == net                                       # the same network, not retrained
    assert not (tmp_path / "run" / "stages" / "inpaint").exists()

def test_a_checkpoint_that_is_not_an_inpainting_network_is_refused(data, tmp_path):
    d, cat = data
    r = run("train", "--method", "ipad", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "ipad", *SMOKE)
    assert r.returncode == 0, r.stderr
    r = run("train", "--method", "i3ad", "--init", tmp_path / "ipad" / "best", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", *SMOKE)
    one_line_error(r, "is not an inpainting network")
    assert not (tmp_path / "run").exists()
