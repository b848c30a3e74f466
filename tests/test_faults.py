"""Fault injection: every way a run was seen to lose, mix or silently corrupt results, reproduced through the console script
on small MVTec-layout folders, with the behaviour each must now have (a one-line refusal naming the problem, exit status 2,
nothing lost). Faults that need the operating system's help (a full disk) use a real limit where the machine allows one."""
import hashlib, json, os, resource, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from inpaint_tutorial.core import fake_mvtec
from inpaint_tutorial.data import MVTecAD

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import EXE, run, one_line_error

SMOKE = ["--size", "32", "--epochs", "1", "--steps-per-epoch", "1", "--quiet"]

def digest(folder:Path) -> str:
    "The bytes of every file of a folder, hashed: a checkpoint that must not change."
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file(): h.update(f.name.encode()); h.update(f.read_bytes())
    return h.hexdigest()

@pytest.fixture(scope="module")
def base(tmp_path_factory):
    "A dataset and a finished one-epoch RIAD run in it."
    d = tmp_path_factory.mktemp("faults")
    cat = fake_mvtec(d, "widget", size=32, n_train=8, defects={"scratch": 2})
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", d / "riad", *SMOKE)
    assert r.returncode == 0, r.stderr
    return d, cat

def test_resume_refuses_another_method_size_or_dataset(base, tmp_path):
    d, cat = base
    before = digest(d / "riad")
    for extra, needle in [(["--method", "pixelstats"], "method 'riad' there, 'pixelstats' asked"),
                          (["--size", "64"], "size 32 there, 64 asked"),
                          (["--dataset", f"mvtec:{cat}/"], None)]:
        args = ["train", "--dataset", f"mvtec:{cat}", "--out", d / "riad", *SMOKE, "--resume", *extra]
        if needle is None:   # another spelling of the same folder is another dataset spec: refused too
            args[2] = f"synthetic"; needle = "dataset"
        one_line_error(run(*args), needle)
    assert digest(d / "riad") == before                                    # the RIAD run is untouched

def test_resume_with_nothing_to_resume_says_so(base, tmp_path):
    d, cat = base
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "fresh", *SMOKE, "--resume", "--no-eval")
    assert r.returncode == 0 and "nothing to resume" in r.stderr, r.stderr

def test_a_second_writer_is_refused_and_a_dead_ones_lock_taken_over(base, tmp_path):
    d, cat = base
    out = tmp_path / "shared"
    first = subprocess.Popen([EXE, "train", "--dataset", f"mvtec:{cat}", "--out", str(out), "--size", "32", "--epochs", "100000",
                              "--quiet", "--no-eval"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):                                                # until the first one holds the folder
            if (out / ".lock").exists() or first.poll() is not None: break
            time.sleep(0.1)
        assert (out / ".lock").exists(), first.stderr.read() if first.poll() is not None else "no lock"
        one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--method", "ae", "--out", out, *SMOKE), f"being written by process {first.pid}")
    finally:
        first.kill(); first.wait()
    assert (out / ".lock").exists()                                         # killed: its lock stays behind, stale
    (out / ".last.tmp-deadbeef").mkdir()                                    # and a half-written save of a killed process
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", out, *SMOKE, "--no-eval")
    assert r.returncode == 0 and "taking over the lock" in r.stderr, r.stderr
    assert not (out / ".lock").exists() and not list(out.glob(".*.tmp-*"))

def test_exif_orientation_applied_to_images_and_masks(tmp_path):
    cat = tmp_path / "rot"
    upright = np.full((32, 48), 40, np.uint8); upright[4:10, 30:44] = 250   # a bright defect at the top right, upright
    mask = np.zeros((32, 48), np.uint8); mask[4:10, 30:44] = 255            # drawn on the upright picture
    for split, name in (("train/good", "000"), ("train/good", "001"), ("test/good", "000"), ("test/spot", "000")):
        (cat / split).mkdir(parents=True, exist_ok=True)
        img = upright if split == "test/spot" else np.full((32, 48), 40, np.uint8)
        im = Image.fromarray(np.rot90(img, 1).copy()); ex = im.getexif(); ex[0x0112] = 6   # stored a quarter turn off
        im.save(cat / split / f"{name}.jpg", quality=95, exif=ex)
    (cat / "ground_truth" / "spot").mkdir(parents=True)
    Image.fromarray(mask).save(cat / "ground_truth" / "spot" / "000_mask.png")
    s = next(x for x in MVTecAD(tmp_path, "rot", split="test", size=(32, 48)) if x.label)
    inside = s.image[0][s.mask[0] > 0.5].mean(); outside = s.image[0][s.mask[0] < 0.5].mean()
    assert inside > 0.8 and outside < 0.3, (float(inside), float(outside))  # the defect lies under its mask

@pytest.mark.parametrize("fault, needle", [
    ("mask_size", "must have its image's size"),
    ("corrupt", "cannot decode image file"),
    ("one_class", "--no-eval"),
])
def test_test_split_checked_before_training(tmp_path, fault, needle):
    cat = fake_mvtec(tmp_path, "w", size=32, n_train=4, defects={"scratch": 1})
    if fault == "mask_size": Image.fromarray(np.zeros((16, 16), np.uint8)).save(cat / "ground_truth" / "scratch" / "000_mask.png")
    if fault == "corrupt": (cat / "test" / "good" / "000.png").write_bytes(b"not an image")
    if fault == "one_class":
        for f in (cat / "test" / "scratch").iterdir(): f.unlink()
        (cat / "test" / "scratch").rmdir()
    one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", *SMOKE), needle)
    assert not (tmp_path / "run").exists()                                  # nothing written

def test_out_that_is_a_file(base, tmp_path):
    d, cat = base
    (tmp_path / "f").write_text("x")
    one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "f", *SMOKE), "is a file, not a folder")

def fsize_limit(n):
    "A child process that may write no file beyond n bytes (RLIMIT_FSIZE: the kernel refuses the write, as on a full disk)."
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return limit

def test_disk_full_during_a_save_keeps_the_previous_checkpoint(base, tmp_path):
    d, cat = base
    out = tmp_path / "run"
    assert run("train", "--dataset", f"mvtec:{cat}", "--out", out, *SMOKE, "--no-eval").returncode == 0
    before = digest(out / "last")
    r = subprocess.run([EXE, "train", "--dataset", f"mvtec:{cat}", "--out", str(out), *SMOKE, "--no-eval"],   # the same run again, onto a full disk
                       capture_output=True, text=True, preexec_fn=fsize_limit(200_000))
    one_line_error(r, "cannot write checkpoint")
    assert digest(out / "last") == before and not list(out.glob(".*.tmp-*"))

def test_disk_full_during_a_report_leaves_no_half_report(base, tmp_path):
    d, cat = base
    r = subprocess.run([EXE, "evaluate", "--checkpoint", str(d / "riad"), "--out", str(tmp_path / "ev")], capture_output=True, text=True,
                       preexec_fn=fsize_limit(20_000))
    one_line_error(r, "cannot write the report")
    assert not [p for p in (tmp_path / "ev").iterdir() if not p.name.startswith(".")] if (tmp_path / "ev").exists() else True

@pytest.mark.skipif(os.geteuid() != 0 or subprocess.run(["which", "mount"], capture_output=True).returncode != 0, reason="mounting a tmpfs needs root")
def test_full_tmpfs(base, tmp_path):
    d, cat = base
    mnt = tmp_path / "small"; mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try: one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--out", mnt / "run", *SMOKE), "No space left")
    finally: subprocess.run(["umount", str(mnt)])

def test_truncated_train_state_on_resume(base, tmp_path):
    d, cat = base
    out = tmp_path / "run"
    assert run("train", "--dataset", f"mvtec:{cat}", "--out", out, *SMOKE, "--no-eval").returncode == 0
    ts = out / "last" / "train_state.safetensors"
    ts.write_bytes(ts.read_bytes()[:100])
    one_line_error(run("train", "--dataset", f"mvtec:{cat}", "--out", out, "--size", "32", "--epochs", "2", "--quiet", "--no-eval", "--resume"),
                   f"cannot read the training state {ts}")

def test_a_config_describing_a_huge_network_is_refused_before_it_is_built(base, tmp_path):
    d, cat = base
    ck = tmp_path / "ck"
    ck.mkdir()
    for f in (d / "riad" / "best").iterdir(): (ck / f.name).write_bytes(f.read_bytes())
    cfg = json.loads((ck / "config.json").read_text()); cfg["model"]["width"] = 2000
    (ck / "config.json").write_text(json.dumps(cfg))
    one_line_error(run("evaluate", "--checkpoint", ck, "--out", tmp_path / "ev"), "weights do not fit model.safetensors")

def test_files_follow_the_umask(base):
    d, _ = base
    assert (d / "riad" / "best" / "model.safetensors").stat().st_mode & 0o777 == 0o666 & ~_umask()

def _umask():
    m = os.umask(0); os.umask(m); return m

def test_console_messages_are_one_line(base, tmp_path):
    d, cat = base
    r = run("train", "--dataset", "synthetic", "--epochs", "zero")
    assert len(r.stderr.strip().splitlines()) == 1 and "usage" not in r.stderr, r.stderr     # no usage block
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "wide", "--size", "64x32", "--epochs", "1", "--steps-per-epoch", "1",
            "--quiet", "--no-eval")
    warn = [l for l in r.stderr.splitlines() if "warning" in l]
    assert r.returncode == 0 and warn and all(l.startswith("inpaint-tutorial: warning:") for l in warn), r.stderr
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "budget", "--size", "32", "--epochs", "100000", "--budget-minutes", "0.05",
            "--patience", "100000", "--quiet", "--no-eval")                  # the budget, not the epochs or early stopping, ends this run
    assert r.returncode == 0 and "stopped by the budget" in r.stdout, (r.stdout, r.stderr)

@pytest.mark.parametrize("method", ["riad", "patchcore"])
def test_scores_do_not_depend_on_the_batch(base, tmp_path, method):
    "The same checkpoint scored with --bs 1, 3 and 16, and one image alone vs in its folder: equal to 1e-6 (relative)."
    d, cat = base
    ck = d / "riad"
    if method != "riad":
        ck = tmp_path / method
        assert run("train", "--dataset", f"mvtec:{cat}", "--method", method, "--out", ck, "--size", "64", "--quiet", "--no-eval").returncode == 0
    scores = {}
    for bs in (1, 3, 16):
        assert run("evaluate", "--checkpoint", ck, "--out", tmp_path / f"ev{bs}", "--bs", bs).returncode == 0
        scores[bs] = np.array([float(r.split(",")[2]) for r in (tmp_path / f"ev{bs}" / "scores.csv").read_text().splitlines()[1:]])
    for bs in (3, 16): np.testing.assert_allclose(scores[bs], scores[1], rtol=1e-6)
    one = cat / "test" / "scratch" / "001.png"
    assert run("predict", one, "--checkpoint", ck, "--out", tmp_path / "alone").returncode == 0
    assert run("predict", cat / "test" / "scratch", cat / "test" / "good", "--checkpoint", ck, "--out", tmp_path / "folder", "--bs", "3").returncode == 0
    alone = float((tmp_path / "alone" / "scores.csv").read_text().splitlines()[1].split(",")[1])
    among = next(float(r.split(",")[1]) for r in (tmp_path / "folder" / "scores.csv").read_text().splitlines()[1:] if r.startswith(str(one)))
    np.testing.assert_allclose(alone, among, rtol=1e-6)

def test_an_empty_mask_on_a_defective_image_is_reported(tmp_path):
    cat = fake_mvtec(tmp_path, "w", size=32, n_train=4, defects={"scratch": 2})
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(cat / "ground_truth" / "scratch" / "000_mask.png")
    r = run("train", "--dataset", f"mvtec:{cat}", "--out", tmp_path / "run", *SMOKE)
    assert r.returncode == 0 and "inpaint-tutorial: warning: 1 anomalous test image(s)" in r.stderr and "all-zero mask" in r.stderr, r.stderr
