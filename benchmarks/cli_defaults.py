"""A new user's first run on a real MVTec-layout dataset, through the command line with its defaults, against the figures
an earlier version of the package gave on the same command.

Runs `inpaint-tutorial train --dataset mvtec:PATH --size SIZE --epochs EPOCHS --out TMP` (every other flag at its
default: RIAD, tiny U-Net, batch 8, lr 1e-3, 20% validation, best-validation weights, the speed levers on by default:
bfloat16 + channels-last where the CPU has it, the in-memory cache) in a subprocess, reads the run's metrics.json and history.json, and writes the figures, the wall-clock time and
the reference figures side by side to benchmarks/results/cli_defaults_<category>_<size>.json.

The reference is what `train --dataset mvtec:... --size 128 --epochs 10` gave before the real-data work (the figures the
package was judged by: image AUROC 0.65, pixel AUROC 0.64, AUPRO 0.54, F1-max 0.81 with the flag-all F1 about the same,
23 minutes of training). They were measured on a real MVTec-layout set of industrial parts with an earlier version of
the package; rerun here on the ball-screw photographs, another real MVTec-layout set of industrial parts, so the
comparison is across datasets as well as versions.

    python benchmarks/cli_defaults.py                                   # ../shared/data/ball_screw, --size 128 --epochs 10
    python benchmarks/cli_defaults.py --size 320x128                    # the photographs' aspect ratio
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from summary import ball_screw_spec, write_results, machine_line

REFERENCE = dict(image_auroc=0.65, pixel_auroc=0.64, aupro=0.54, f1_max=0.81, train_min=23.0)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--dataset", default=None, help="mvtec:ROOT/CATEGORY (default: the ball-screw photographs beside the repository)")
    p.add_argument("--size", default="128"); p.add_argument("--epochs", default="10")
    p.add_argument("--out", default=None, help="results file (default benchmarks/results/cli_defaults_<category>_<size>.json)")
    a = p.parse_args(argv)
    spec = a.dataset or ball_screw_spec(None)
    exe = shutil.which("inpaint-tutorial") or str(Path(sys.executable).with_name("inpaint-tutorial"))
    with tempfile.TemporaryDirectory() as tmp:
        args = ["train", "--dataset", spec, "--size", a.size, "--epochs", a.epochs]
        cmd = [exe, *args, "--out", str(Path(tmp) / "run"), "--quiet"]
        print("running:", " ".join(cmd), flush=True)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        if done.returncode != 0: sys.exit(f"the training failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        metrics = json.loads((Path(tmp) / "run" / "metrics.json").read_text())
        hist = json.loads((Path(tmp) / "run" / "history.json").read_text())
    epochs = hist["epochs"]
    row = {k: metrics[k] for k in ("image_auroc", "pixel_auroc", "aupro", "f1_max", "f1_flag_all", "n_test", "n_anomalous")}
    row.update(train_min=sum(e["seconds"] + e.get("time", {}).get("validation", 0) for e in epochs) / 60, run_min=secs / 60,
               epochs=len(epochs), best_epoch=hist["best_epoch"], val_loss=[round(e["val_loss"], 5) for e in epochs if "val_loss" in e],
               images_per_s=[e["images_per_s"] for e in epochs], warnings=[l for l in done.stderr.splitlines() if "Warning" in l][:5])
    print(f"{'figure':12s} {'now':>8s} {'before':>8s}")
    for k, ref in REFERENCE.items(): print(f"{k:12s} {row[k]:8.3f} {ref:8.3f}")
    category = Path(spec.split(":", 1)[-1]).name
    out = Path(a.out or Path(__file__).parent / "results" / f"cli_defaults_{category}_{a.size}.json")
    write_results(out, "cli_defaults.py", argv, machine=machine_line("cpu") + f" | OMP_NUM_THREADS {os.environ.get('OMP_NUM_THREADS', 'unset')}",
                  cli=" ".join(["inpaint-tutorial", *args]), reference=REFERENCE, result=row)

if __name__ == "__main__":
    main()
