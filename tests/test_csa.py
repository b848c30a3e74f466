"""The CSA method through the command line: its stages, its ablation switches, and the feature weights it records."""
import json, os, subprocess
from pathlib import Path
import pytest
import torch
from inpaint_tutorial.core import fake_mvtec
from test_cli import EXE, SMOKE, one_line_error

CSA = ["--method", "csa", "--size", "64", "--epochs", "2", "--steps-per-epoch", "2", "--quiet"]

def run(*args, env=None, timeout=600):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)

@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("csa")
    return d, fake_mvtec(d, "widget", size=64, n_train=10, defects={"scratch": 2, "hole": 2})

@pytest.fixture(scope="module")
def trained(data):
    d, cat = data
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", d / "run", *CSA)
    assert r.returncode == 0, r.stderr
    return d, cat

def test_train_runs_both_stages_and_records_the_feature_network(trained):
    d, cat = trained
    cfg = json.loads((d / "run" / "best" / "config.json").read_text())
    assert cfg["method"] == "csa" and cfg["stage"] == "inpaint" and cfg["model"]["class"] == "inpaint_tutorial.csa.CSANet"
    assert cfg["settings"]["feature_id"].startswith("efficientnet_lite0[8]:imagenet:")   # the default: ImageNet Lite0, offline
    pre = json.loads((d / "run" / "stages" / "pretrain" / "best" / "config.json").read_text())
    assert pre["stage"] == "pretrain" and pre["model"]["class"] == "inpaint_tutorial.barlow.BarlowTwins"
    m = json.loads((d / "run" / "metrics.json").read_text())
    assert 0 <= m["image_auroc"] <= 1 and 0 <= m["aupro"] <= 1

def test_evaluate_and_predict(trained, tmp_path):
    d, cat = trained
    r = run("evaluate", "--checkpoint", d / "run", "--out", tmp_path / "ev")
    assert r.returncode == 0, r.stderr
    a, b = (json.loads(p.read_text()) for p in (d / "run" / "metrics.json", tmp_path / "ev" / "metrics.json"))
    assert a["image_auroc"] == b["image_auroc"] and a["pixel_auroc"] == b["pixel_auroc"]
    r = run("predict", "--checkpoint", d / "run", "--out", tmp_path / "pr", Path(cat) / "test" / "good")
    assert r.returncode == 0, r.stderr
    assert len((tmp_path / "pr" / "scores.csv").read_text().strip().splitlines()) == 1 + 2

def test_scoring_with_other_feature_weights_is_refused(trained, tmp_path):
    d, cat = trained
    tampered = tmp_path / "run"
    subprocess.run(["cp", "-r", str(d / "run"), str(tampered)], check=True)
    p = tampered / "best" / "config.json"
    cfg = json.loads(p.read_text()); cfg["settings"]["feature_id"] = cfg["settings"]["feature_id"][:-4] + "0000"
    p.write_text(json.dumps(cfg))
    one_line_error(run("evaluate", "--checkpoint", tampered, "--out", tmp_path / "ev"), "refusing to score with other feature weights")
    assert not (tmp_path / "ev").exists()

def test_absent_imagenet_weights_one_line_nothing_written(data, tmp_path):
    d, cat = data
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "home")}
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", "--features", "squeezenet1_1", "--feature-weights", "imagenet",
            *CSA, env=env)
    one_line_error(r, "put squeezenet1_1-b8a52dc0.pth into")
    assert not (tmp_path / "run").exists() and not (tmp_path / "home").exists()

def test_imagenet_weights_from_the_hub_cache(data, tmp_path):
    import torchvision
    d, cat = data
    ckpts = tmp_path / "home" / "hub" / "checkpoints"; ckpts.mkdir(parents=True)
    torch.manual_seed(3); torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(), ckpts / "squeezenet1_1-b8a52dc0.pth")
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "home")}
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", "--features", "squeezenet1_1", "--feature-weights", "imagenet",
            *CSA, env=env)
    assert r.returncode == 0, r.stderr
    fid = json.loads((tmp_path / "run" / "best" / "config.json").read_text())["settings"]["feature_id"]
    assert fid.startswith("squeezenet1_1[6]:imagenet:")
    r = run("evaluate", "--checkpoint", tmp_path / "run", "--out", tmp_path / "ev", env=env)
    assert r.returncode == 0, r.stderr
    (ckpts / "squeezenet1_1-b8a52dc0.pth").unlink()                              # the weights are gone: refused, one line
    one_line_error(run("evaluate", "--checkpoint", tmp_path / "run", "--out", tmp_path / "ev2", env=env), "ImageNet weights for squeezenet1_1 not found")

@pytest.mark.parametrize("flags", [["--attention", "false"], ["--pretrain", "false"], ["--score", "msgms"], ["--lambda-c", "0"]])
def test_ablation_switches_train(data, tmp_path, flags):
    d, cat = data
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", *CSA, *flags)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert (tmp_path / "run" / "stages" / "pretrain").exists() == (flags != ["--pretrain", "false"])
    if flags[0] == "--attention": assert cfg["model"]["attention"] is False
    if flags[0] == "--score": assert cfg["settings"]["score"] == "msgms"
