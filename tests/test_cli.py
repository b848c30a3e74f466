"""The `inpaint-tutorial` console script, end to end, as a user runs it (tiny data, CPU)."""
import csv, json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
from inpaint_tutorial.core import fake_mvtec, fake_visa

EXE = shutil.which("inpaint-tutorial") or str(Path(sys.executable).parent / "inpaint-tutorial")
SMOKE = ["--size", "32", "--epochs", "2", "--steps-per-epoch", "2", "--quiet"]

def run(*args, timeout=600):
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout)

def one_line_error(r, needle):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    last = r.stderr.strip().splitlines()[-1]      # argparse prints its usage first; the error itself is one line
    assert last.startswith("inpaint-tutorial") and "error:" in last and needle in last, r.stderr

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    cat = fake_mvtec(d, "widget", size=64, n_train=8, defects={"scratch": 3, "hole": 2})
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", d / "run", *SMOKE)
    assert r.returncode == 0, r.stderr
    return d, cat, r

def test_train_writes_checkpoint_and_metrics(trained):
    d, cat, r = trained
    for f in ("best/model.safetensors", "best/config.json", "last/train_state.safetensors", "metrics.json", "roc.png", "gallery.png", "history.json"):
        assert (d / "run" / f).is_file(), f
    m = json.loads((d / "run" / "metrics.json").read_text())
    assert m["n_test"] == 7 and m["n_anomalous"] == 5
    assert 0 <= m["image_auroc"] <= 1 and 0 <= m["pixel_auroc"] <= 1 and 0 <= m["aupro"] <= 1
    assert "image_auroc" in r.stdout
    assert m["f1_flag_all"] == round(2 * (5 / 7) / (1 + 5 / 7), 4) and f"(flag-all {m['f1_flag_all']:.4f})" in r.stdout   # F1-max beside its floor

def test_evaluate_recomputes_the_same_metrics(trained, tmp_path):
    d, cat, _ = trained
    r = run("evaluate", "--checkpoint", d / "run", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "ev")
    assert r.returncode == 0, r.stderr
    a = json.loads((d / "run" / "metrics.json").read_text()); b = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    for k in ("image_auroc", "pixel_auroc", "aupro"): assert a[k] == pytest.approx(b[k], abs=1e-9), k
    # the reported AUROC is that of the scores it saved, recomputed independently with scikit-learn
    from sklearn.metrics import roc_auc_score
    rows = list(csv.DictReader(open(tmp_path / "ev" / "scores.csv")))
    assert len(rows) == b["n_test"]
    assert b["image_auroc"] == pytest.approx(roc_auc_score([int(x["label"]) for x in rows], [float(x["score"]) for x in rows]), abs=1e-6)
    assert f"image_auroc {b['image_auroc']:.4f}" in r.stdout

def test_predict_folder_and_files(trained, tmp_path):
    d, cat, _ = trained
    files = sorted((cat / "test" / "hole").glob("*.png"))
    r = run("predict", cat / "test" / "scratch", *files, "--checkpoint", d / "run", "--out", tmp_path / "pr")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(tmp_path / "pr" / "scores.csv")))
    assert len(rows) == 5 and all(0 <= float(x["score"]) <= 1 for x in rows)
    assert all((tmp_path / "pr" / x["map"]).is_file() for x in rows)

def test_predict_reports_a_corrupt_image_and_scores_the_rest(trained, tmp_path):
    d, cat, _ = trained
    bad = tmp_path / "in"; bad.mkdir()
    shutil.copy(next((cat / "test" / "good").glob("*.png")), bad / "ok.png")
    (bad / "broken.png").write_bytes(b"not a png at all")
    r = run("predict", bad, "--checkpoint", d / "run", "--out", tmp_path / "pr")
    assert r.returncode == 2 and "cannot read" in r.stderr and "broken.png" in r.stderr, r.stderr   # exit 2: not every input was scored
    rows = {Path(x["image"]).name: x for x in csv.DictReader(open(tmp_path / "pr" / "scores.csv"))}
    assert rows["broken.png"]["verdict"] == "error" and "cannot decode" in rows["broken.png"]["error"] and rows["ok.png"]["score"]
    one_line_error(run("predict", bad, "--checkpoint", d / "run", "--out", tmp_path / "strict", "--strict", "--threshold", "0.5"), "broken.png")
    assert not (tmp_path / "strict").exists()                              # --strict: nothing written

def test_checkpoint_of_another_method_is_refused(trained, tmp_path):
    d, cat, _ = trained
    r = run("evaluate", "--checkpoint", d / "run", "--method", "ipad", "--out", tmp_path / "x")
    one_line_error(r, "not 'ipad'")

def test_checkpoint_with_wrong_config_is_refused(trained, tmp_path):
    d, _, _ = trained
    ck = tmp_path / "ck"; shutil.copytree(d / "run" / "best", ck)
    cfg = json.loads((ck / "config.json").read_text()); cfg["model"]["width"] = 99
    (ck / "config.json").write_text(json.dumps(cfg))
    one_line_error(run("evaluate", "--checkpoint", ck, "--out", tmp_path / "x"), str(ck))

@pytest.mark.parametrize("args,needle", [
    (("train", "--dataset", "imagenet:/x"), "unknown dataset spec 'imagenet:/x'"),
    (("train", "--dataset", "mvtec:/no/such/root/bottle", "--size", "32"), "/no/such/root"),
    (("train", "--dataset", "synthetic", "--size", "40"), "must be a multiple of 16"),
    (("train", "--dataset", "synthetic", "--ks", "2,4,32", "--size", "48"), "must be a multiple of"),
    (("train", "--dataset", "synthetic", "--method", "vae"), "unknown method 'vae'"),
    (("train", "--dataset", "synthetic", "--epochs", "0"), "argument --epochs: n_epochs must be an int in [1, 100000], got 0"),
    (("train", "--dataset", "synthetic", "--lr", "abc"), "lr must be a number in [1e-08, 1.0], got 'abc'"),
    (("train", "--dataset", "synthetic", "--filter-size", "20"), "filter_size must be an odd int"),
    (("demo", "--seed", "-3"), "seed must be an int in [0, 4294967295], got -3"),
    (("evaluate", "--checkpoint", "/no/such/ckpt"), "no checkpoint at /no/such/ckpt"),
    (("train", "--dataset", "synthetic", "--augment", "rotate"), "augment must be one of 'none', 'shift', 'flip', 'flip+shift', got 'rotate'"),
    (("train", "--dataset", "objects:marble"), "unknown texture 'marble'"),
    (("train", "--dataset", "synthetic", "--budget-minutes", "0"), "max_minutes must be a number in [1e-06, 1000000.0] or none, got 0.0"),
    (("evaluate", "--checkpoint", "x", "--epochs", "3"), "unrecognized arguments: --epochs 3"),   # evaluate takes --seed and --bs only
    (("frobnicate",), "invalid choice")])
def test_bad_input_is_one_line(args, needle):
    one_line_error(run(*args), needle)

def test_objects_spec_and_augment_are_recorded(tmp_path):
    "IPAD on the built-in part-on-background data: the foreground rule the data chose and the augmentation land in the checkpoint."
    r = run("train", "--dataset", "objects", "--method", "ipad", "--size", "32", "--ks", "2,4", "--epochs", "1", "--steps-per-epoch", "1",
            "--augment", "flip+shift", "--no-eval", "--quiet", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert (cfg["dataset"], cfg["settings"]["foreground"], cfg["train"]["augment"]) == ("objects", "auto", "flip+shift")

def test_visa_and_folder_specs(tmp_path):
    root = fake_visa(tmp_path / "visa", obj="candle", size=64)
    r = run("train", "--dataset", f"visa:{root}/candle", "--out", tmp_path / "v", *SMOKE)
    assert r.returncode == 0, r.stderr
    good, bad = tmp_path / "f" / "good", tmp_path / "f" / "bad"
    cat = fake_mvtec(tmp_path / "m", "c", size=64, n_train=6, defects={"d": 2})
    r = run("train", "--dataset", f"folder:normal={cat}/train/good,abnormal={cat}/test/d", "--out", tmp_path / "fo", *SMOKE)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "fo" / "metrics.json").read_text())
    assert "pixel_auroc" not in m and m["n_anomalous"] == 2   # no masks given: image-level metrics only

def test_demo_writes_report(tmp_path):
    r = run("demo", "--out", tmp_path / "rep", "--size", "32", "--epochs", "1", "--steps-per-epoch", "3", "--quiet")
    assert r.returncode == 0, r.stderr
    assert str((tmp_path / "rep").resolve()) in r.stdout
    for f in ("metrics.json", "roc.png", "gallery.png", "best/model.safetensors"): assert (tmp_path / "rep" / f).is_file()
    m = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert m["n_test"] == 240 and {"image_auroc", "pixel_auroc", "aupro"} <= m.keys()

def test_torchrun_two_process_gloo_training(tmp_path):
    "2-process DDP training on CPU (gloo): the checkpoint loads and evaluates."
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", EXE,
           "train", "--dataset", "synthetic", "--out", str(tmp_path / "ddp"), "--no-eval", *SMOKE]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = json.loads((tmp_path / "ddp" / "best" / "config.json").read_text())
    assert cfg["train"]["world_size"] == 2
    r = run("evaluate", "--checkpoint", tmp_path / "ddp", "--out", tmp_path / "ev")
    assert r.returncode == 0, r.stderr
    assert 0 <= json.loads((tmp_path / "ev" / "metrics.json").read_text())["image_auroc"] <= 1

@pytest.fixture(scope="module")
def trained_ipad(tmp_path_factory):
    d = tmp_path_factory.mktemp("ipad")
    cat = fake_mvtec(d, "widget", size=64, n_train=8, defects={"scratch": 3})
    r = run("train", "--dataset", f"mvtec:{cat}", "--method", "ipad", "--out", d / "run", *SMOKE)
    assert r.returncode == 0, r.stderr
    return d, cat

def test_ipad_train_evaluate_predict(trained_ipad, tmp_path):
    d, cat = trained_ipad
    cfg = json.loads((d / "run" / "best" / "config.json").read_text())
    assert cfg["method"] == "ipad" and cfg["model"]["class"] == "inpaint_tutorial.ipad.IPAD" and cfg["settings"]["foreground"] == "auto"
    assert cfg["model"]["recon"]["class"] == "inpaint_tutorial.misf.MISF" and cfg["model"]["disc"]["class"] == "inpaint_tutorial.ipad.DiscriminativeUNet"
    r = run("evaluate", "--checkpoint", d / "run", "--method", "ipad", "--out", tmp_path / "ev")
    assert r.returncode == 0, r.stderr
    a = json.loads((d / "run" / "metrics.json").read_text()); b = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert a["image_auroc"] == b["image_auroc"] and a["pixel_auroc"] == b["pixel_auroc"]   # seeded masks: same numbers
    r = run("predict", cat / "test" / "scratch", "--checkpoint", d / "run", "--method", "ipad", "--out", tmp_path / "pr")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(tmp_path / "pr" / "scores.csv")))
    assert len(rows) == 3 and all(0 <= float(row["score"]) <= 1 for row in rows)

def test_method_mismatch_is_one_line(trained, trained_ipad, tmp_path):
    one_line_error(run("evaluate", "--checkpoint", trained_ipad[0] / "run", "--method", "riad", "--out", tmp_path / "x"),
                   "trained with method 'ipad', not 'riad'")
    one_line_error(run("evaluate", "--checkpoint", trained[0] / "run", "--method", "ipad", "--out", tmp_path / "y"),
                   "trained with method 'riad', not 'ipad'")
    one_line_error(run("train", "--dataset", "synthetic", "--method", "ipad", "--backbone", "unet"), "--backbone unet")
    one_line_error(run("train", "--dataset", "synthetic", "--backbone", "misf", "--preset", "huge"), "preset must be one of paper, small, tiny for backbone 'misf'")

def test_riad_with_misf_backbone(trained, tmp_path):
    d, cat, _ = trained
    r = run("train", "--dataset", f"mvtec:{cat}", "--backbone", "misf", "--out", tmp_path / "m", *SMOKE)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "m" / "best" / "config.json").read_text())
    assert cfg["method"] == "riad" and cfg["settings"]["backbone"] == "misf" and cfg["model"]["class"] == "inpaint_tutorial.misf.MISF"
    r = run("evaluate", "--checkpoint", tmp_path / "m", "--method", "riad", "--out", tmp_path / "ev")
    assert r.returncode == 0, r.stderr

def test_non_square_size_train_evaluate_predict(tmp_path):
    "--size WIDTHxHEIGHT: a wide part trained at 64x32; the checkpoint keeps (H, W) and predict writes 64x32 maps."
    cat = fake_mvtec(tmp_path, "wide", size=(40, 80), n_train=6, defects={"scratch": 2})
    r = run("train", "--dataset", f"mvtec:{cat}", "--size", "64x32", "--out", tmp_path / "run", "--epochs", "1", "--steps-per-epoch", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "AspectWarning" not in r.stderr                                # 80x40 images at 64x32: the same aspect ratio
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert cfg["size"] == [32, 64]
    r = run("predict", cat / "test" / "scratch", "--checkpoint", tmp_path / "run", "--out", tmp_path / "pr")
    assert r.returncode == 0, r.stderr
    from PIL import Image
    assert Image.open(next((tmp_path / "pr" / "maps").glob("*.png"))).size == (80, 40)   # at the photograph's own size
    one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--size", "64x40", "--out", tmp_path / "bad"), "image height 40 must be a multiple of 16")
    assert not (tmp_path / "bad").exists()
    r = run("train", "--dataset", f"mvtec:{cat}", "--size", "32", "--out", tmp_path / "sq", "--epochs", "1", "--steps-per-epoch", "1", "--quiet", "--no-eval")
    assert r.returncode == 0 and "stretches its aspect ratio by 2.00" in r.stderr, r.stderr

def test_budget_too_short_is_refused_before_writing(tmp_path):
    "6 ms for an epoch of 16 images at 256 px: far too short on any machine (one batch alone takes hundreds of times longer)."
    cat = fake_mvtec(tmp_path, "widget", size=64, n_train=20, defects={"scratch": 1})
    one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--size", "256", "--budget-minutes", "0.0001", "--out", tmp_path / "run"),
                   "too short for one epoch")
    assert not (tmp_path / "run").exists()
