"""From scores to decisions through the console script: calibration on normal images only, verdicts, maps and masks at each
input's own size from a folder tree with repeated names, an unreadable file reported, and the bad inputs of calibration."""
import csv, json, sys
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from inpaint_tutorial.core import fake_mvtec

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import run, one_line_error

@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    "PatchCore trained on 60 good images, 12 of them held out: a calibrated checkpoint."
    d = tmp_path_factory.mktemp("decisions")
    cat = fake_mvtec(d, "w", size=64, n_train=60, defects={"scratch": 3})
    r = run("train", "--dataset", f"mvtec:{cat}", "--method", "patchcore", "--size", "64", "--out", d / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    return d, cat, r

def test_training_calibrates_on_the_validation_images(calibrated):
    d, _, r = calibrated
    cal = json.loads((d / "run" / "best" / "calibration.json").read_text())
    assert cal["n_images"] == 12 and cal["fpr"] == 0.01 and "validation" in cal["source"]
    m = json.loads((d / "run" / "metrics.json").read_text())
    assert m["calibrated"]["threshold"] == cal["image_threshold"] and 0 <= m["calibrated"]["fpr"] <= 1
    assert "at the calibrated threshold" in r.stdout

def test_predict_on_a_folder_tree(calibrated, tmp_path):
    d, cat, _ = calibrated
    tree = tmp_path / "day"
    for part in ("line1", "line2"):                                          # the same file names in two folders
        (tree / part).mkdir(parents=True)
        for f in sorted((cat / "test" / "scratch").glob("*.png")):
            Image.open(f).resize((200, 120)).save(tree / part / f.name)     # photographs larger than the model's 64 px
    (tree / "line2" / "torn.png").write_bytes(b"\x89PNG truncated")
    r = run("predict", tree, "--checkpoint", d / "run", "--out", tmp_path / "out", "--overlay")
    assert r.returncode == 2 and "torn.png" in r.stderr, r.stderr          # exit 2: one input could not be read
    rows = list(csv.DictReader(open(tmp_path / "out" / "scores.csv")))
    assert [k for k in rows[0]] == ["image", "score", "verdict", "map", "mask", "overlay", "error"]
    assert len(rows) == 7 and sum(r["verdict"] == "error" for r in rows) == 1
    ok = [r for r in rows if r["verdict"] != "error"]
    assert all(r["verdict"] in ("good", "defective") for r in ok) and len({r["map"] for r in ok}) == 6   # no two maps collide
    for key in ("map", "mask", "overlay"):
        assert all(Image.open(tmp_path / "out" / r[key]).size == (200, 120) for r in ok)   # at the input's own size
    mask = np.array(Image.open(tmp_path / "out" / ok[0]["mask"]))
    assert set(np.unique(mask)) <= {0, 255}
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (s["n_inputs"], s["scored"], s["error"], s["good"] + s["defective"]) == (7, 6, 1, 6) and len(s["checkpoint_sha256"]) == 16

def test_recalibrate_and_override(calibrated, tmp_path):
    d, cat, _ = calibrated
    ck = tmp_path / "ck"; ck.mkdir()
    for f in (d / "run" / "best").iterdir():
        if f.name != "calibration.json": (ck / f.name).write_bytes(f.read_bytes())
    r = run("predict", cat / "test" / "good", "--checkpoint", ck, "--out", tmp_path / "p0")
    assert r.returncode == 0 and "no calibration" in r.stderr, r.stderr    # scores without verdicts, said in one line
    assert all(x["verdict"] == "" for x in csv.DictReader(open(tmp_path / "p0" / "scores.csv")))
    one_line_error(run("predict", cat / "test" / "good", "--checkpoint", ck, "--out", tmp_path / "p1", "--strict"), "has no calibration")
    one_line_error(run("calibrate", cat / "test" / "good", "--checkpoint", ck), "needs at least 10 normal images, got 2")
    one_line_error(run("calibrate", cat / "train" / "good", "--checkpoint", ck, "--fpr", "1.5"), "fpr must be a number in [0.0001, 0.5]")
    r = run("calibrate", cat / "train" / "good", "--checkpoint", ck, "--fpr", "0.1")
    assert r.returncode == 0 and json.loads((ck / "calibration.json").read_text())["n_images"] == 60, r.stderr
    r = run("predict", cat / "test" / "good", "--checkpoint", ck, "--out", tmp_path / "p2", "--threshold", "-1")
    assert {x["verdict"] for x in csv.DictReader(open(tmp_path / "p2" / "scores.csv"))} == {"defective"}   # a given threshold wins

def test_a_threshold_from_images_a_stage_measured_is_flagged(tmp_path):
    "Feature inpainting with normalize=position measures the validation images after training; the calibration on the same images says so, and the report names the trained stage's best epoch."
    cat = fake_mvtec(tmp_path, "w", size=64, n_train=60, defects={"scratch": 3})
    r = run("train", "--dataset", f"mvtec:{cat}", "--method", "featinpaint", "--width", "16", "--normalize", "position", "--size", "64",
            "--epochs", "1", "--out", tmp_path / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "also gave the positions statistics" in r.stderr and "inpaint-tutorial calibrate" in r.stderr
    cal = json.loads((tmp_path / "run" / "best" / "calibration.json").read_text())
    assert cal["n_images"] == 12 and "also measured by the positions stage" in cal["source"]
    assert "best epoch 1," in r.stdout
