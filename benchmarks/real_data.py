"""Every registered method on real photographs, each run bounded by a wall-clock training budget, over several seeds.

For each dataset, method and seed: `inpaint_tutorial.pipeline.train` with `max_minutes=--budget` (epochs are not the limit:
`--epochs` is only a ceiling), 20% of the normal training images held out for validation, early stopping with patience
`--patience`, the best-validation weights kept; then `pipeline.evaluate` on the whole test split. Reported per run and as
mean +- std over the seeds: image AUROC, pixel AUROC and AUPRO (datasets with masks), F1-max next to the F1 of the trivial
detector that flags every test image, training minutes, epochs trained, inference milliseconds per image. Results go to
benchmarks/results/real_data_<dataset>.json, which BENCHMARKS.md quotes.

Datasets:
    ball_screw   ../shared/data/ball_screw (or --ball-screw PATH), MVTec AD layout, 1130x460 photographs: --size 448x192 by
                 default (WIDTHxHEIGHT, the photographs' aspect ratio at a size the methods' rules allow)
    elpv         the ELPV solar cells, full protocol of 01_data, 128 px

    python benchmarks/real_data.py --dataset ball_screw                      # every method, 3 seeds, 30 min each
    python benchmarks/real_data.py --dataset ball_screw --budget 5 --seeds 0 --methods riad,pixelstats
"""
import argparse, platform, sys, tempfile, time
from pathlib import Path
import torch
from inpaint_tutorial import pipeline
from inpaint_tutorial.cli import image_size
from inpaint_tutorial.method import get_method, list_methods
from summary import summarize, print_table, write_results

KEYS = ("image_auroc", "pixel_auroc", "aupro", "f1_max", "f1_trivial", "train_min", "epochs", "infer_ms")

def spec_and_size(a):
    if a.dataset == "ball_screw":
        root = Path(a.ball_screw) if a.ball_screw else Path(__file__).resolve().parents[2] / "shared" / "data" / "ball_screw"
        if not root.is_dir(): sys.exit(f"ball-screw data not found at {root}: pass --ball-screw PATH")
        return f"mvtec:{root}", image_size(a.size or "448x192")
    return "elpv", image_size(a.size or "128")

def run_one(a, name:str, seed:int, spec:str, size) -> dict:
    method = get_method(name)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = pipeline.train(method, None, spec, size=size, out=Path(tmp) / "run", n_epochs=a.epochs, bs=a.bs, lr=a.lr, seed=seed,
                           device=a.device, val_fraction=0.2, patience=a.patience, max_minutes=a.budget, evaluate_test=False, progress=False)
        train_min = (time.perf_counter() - t0) / 60
        test_ds = pipeline.open_dataset(spec, "test", size, seed=seed, channels=r["channels"])
        res = pipeline.evaluate(method, r["settings"], r["model"], test_ds, Path(tmp) / "eval", device=a.device, seed=seed)
    p = res["n_anomalous"] / res["n_test"]
    row = dict(image_auroc=res["image_auroc"], f1_max=res["f1_max"], f1_trivial=2 * p / (1 + p), train_min=train_min,
               epochs=len(r["history"]["epochs"]), best_epoch=r["history"]["best_epoch"], stopped_by_budget=r["history"].get("stopped_by_budget"),
               infer_ms=1000 * res["seconds_per_image"], n_train=r["n_train"], n_test=res["n_test"], settings=r["settings"].to_dict())
    if res.get("pixel_auroc") is not None: row.update(pixel_auroc=res["pixel_auroc"], aupro=res["aupro"])
    return row

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--dataset", default="ball_screw", choices=["ball_screw", "elpv"])
    p.add_argument("--ball-screw", default=None, help="path of the ball-screw category folder")
    p.add_argument("--methods", default=None, help=f"comma separated (default: every registered method: {', '.join(list_methods())})")
    p.add_argument("--seeds", default="0,1,2"); p.add_argument("--size", default=None, help="N or WIDTHxHEIGHT")
    p.add_argument("--budget", type=float, default=30.0, help="training minutes per run")
    p.add_argument("--epochs", type=int, default=10_000, help="ceiling on the epochs (the budget is the real limit)")
    p.add_argument("--patience", type=int, default=20); p.add_argument("--bs", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3); p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    methods = a.methods.split(",") if a.methods else list_methods()
    seeds = [int(s) for s in a.seeds.split(",")]
    spec, size = spec_and_size(a)
    machine = (f"{platform.platform()} | {platform.machine()} | python {platform.python_version()} | torch {torch.__version__} "
               f"| torch threads {torch.get_num_threads()} | device {a.device}")
    size_text = f"{size}x{size}" if isinstance(size, int) else f"{size[1]}x{size[0]}"
    title = f"{a.dataset}: {size_text} px (WxH), {a.budget:g} min of training per run, batch {a.bs}, lr {a.lr}, patience {a.patience}, seeds {a.seeds}"
    print("machine:", machine); print("config:", title)
    rows = []
    for name in methods:
        runs = []
        for seed in seeds:
            try: r = run_one(a, name, seed, spec, size)
            except ValueError as e:   # e.g. a budget too short for one epoch: recorded, not hidden
                print(f"{name:10s} seed {seed}: refused: {e}", flush=True); runs.append(dict(error=str(e))); continue
            runs.append(r)
            print(f"{name:10s} seed {seed}: " + "  ".join(f"{k} {r[k]:.4f}" for k in KEYS if k in r), flush=True)
        ok = [r for r in runs if "error" not in r]
        if not ok: rows.append(dict(method=name, error=runs[0]["error"], runs=runs)); continue
        rows.append(summarize(name, ok, KEYS))
    print_table(rows, KEYS)
    write_results(Path(a.out or Path(__file__).parent / "results" / f"real_data_{a.dataset}.json"), "real_data.py", argv,
                  title=title, machine=machine, rows=rows)

if __name__ == "__main__":
    main()
