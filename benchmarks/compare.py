"""RIAD (U-Net), RIAD (MISF backbone) and IPAD under one protocol: same data, image size, epochs, batch size, learning rate,
region sizes and seeds; mean +- std over the seeds.

For every method and seed the script runs what `inpaint-tutorial train` runs, `inpaint_tutorial.pipeline.train`:
seed_everything(seed); the dataset's train and test splits for that seed; the registered method (`riad` with
`backbone=unet` or `backbone=misf`, and `ipad`) with its settings record; its stages through `fit_method` with 20% of the
training images held out for validation and the best-validation weights kept; then `pipeline.evaluate` (masks drawn from
make_generator(seed)). It prints one
line per run and a table of mean +- std: image AUROC, pixel AUROC and AUPRO (datasets with masks), training seconds and
inference milliseconds per test image (CPU, both measured in this run), and writes the table to
benchmarks/results/compare_<dataset>.json, which the 09_ipad chapter and BENCHMARKS.md show.

Usage (from the repository root, one run at a time; minutes on a 2-core CPU):
    python benchmarks/compare.py --dataset synthetic                       # 64 px, 30 epochs, the demo's budget
    python benchmarks/compare.py --dataset elpv --epochs 10 --max-train 300 --max-test 300
    python benchmarks/compare.py --dataset synthetic --methods ipad --seeds 0   # one method, one seed
"""
import argparse, sys
from pathlib import Path
from inpaint_tutorial.method import get_method
from inpaint_tutorial.unet import count_params
from summary import machine_line, method_and_seed_lists, summarize, print_table, write_results, protocol, train_and_score

from variants import VARIANTS as ALL_VARIANTS
VARIANTS = {k: ALL_VARIANTS[k] for k in ("riad-unet", "riad-misf", "ipad")}   # the IPAD track's three, from the one table
KEYS = ("image_auroc", "pixel_auroc", "aupro", "train_s", "infer_ms")

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", default="synthetic", choices=["synthetic", "elpv"])
    p.add_argument("--methods", default=",".join(VARIANTS), help=f"comma separated, from {', '.join(VARIANTS)}")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--bs", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="fp32 (contiguous layout): the precision the committed tables were measured in; bf16: bfloat16 autocast + channels-last")
    p.add_argument("--preset", default="tiny", help="size of every network (U-Net, MISF and discriminative U-Net presets)")
    p.add_argument("--max-train", type=int, default=None, help="elpv: training cells (seeded subsample)")
    p.add_argument("--max-test", type=int, default=None, help="elpv: test cells (seeded, both classes in proportion)")
    p.add_argument("--out", default=None, help="results file (default benchmarks/results/compare_<dataset>.json)")
    a = p.parse_args(argv)
    method_and_seed_lists(p, a, VARIANTS)
    return a

def spec_of(a) -> str:
    if a.dataset == "synthetic": return "synthetic"
    opts = [f"{k}={v}" for k, v in (("max_train", a.max_train), ("max_test", a.max_test)) if v is not None]
    return "elpv" + (":" + ",".join(opts) if opts else "")

def run_one(a, variant:str, seed:int) -> dict:
    name, extra = VARIANTS[variant]
    method = get_method(name)
    presets = dict(preset=a.preset, disc_preset=a.preset) if name == "ipad" else dict(preset=a.preset)
    settings = method.Settings(**extra, **presets)
    row, r, test_ds = train_and_score(method, settings, spec_of(a), a.size, protocol(a, val_fraction=0.2, patience=1000, seed=seed))
    row = dict(image_auroc=row["image_auroc"], train_s=60 * row["train_min"], infer_ms=row["infer_ms"], params=count_params(r["model"]),
               best_epoch=row["best_epoch"], n_train=row["n_train"], n_test=len(test_ds),
               **{k: row[k] for k in ("pixel_auroc", "aupro") if k in row})
    return row

def main(argv=None):
    a = parse_args(argv)
    machine = machine_line("cpu")
    title = (f"{a.dataset}: {a.size} px, {a.epochs} epochs, batch {a.bs}, lr {a.lr}, preset {a.preset}, K=(2,4,8,16), n=3, "
             f"seeds {','.join(map(str, a.seeds))}" + (f", max_train {a.max_train}" if a.max_train else "")
             + (f", max_test {a.max_test}" if a.max_test else "") + (", bf16 + channels-last" if a.precision == "bf16" else ""))
    print("machine:", machine); print("config:", title); print("command: python benchmarks/compare.py", *(argv or sys.argv[1:]))
    rows = []
    for variant in a.methods:
        runs = []
        for seed in a.seeds:
            r = run_one(a, variant, seed)
            runs.append(r)
            print(f"{variant:10s} seed {seed}: " + "  ".join(f"{k} {r[k]:.4f}" for k in KEYS if k in r)
                  + f"  (params {r['params']:,}, best epoch {r['best_epoch']}, {r['n_train']} train / {r['n_test']} test)", flush=True)
        rows.append(summarize(variant, runs, KEYS))
    print_table(rows, KEYS)
    write_results(Path(a.out or Path(__file__).parent / "results" / f"compare_{a.dataset}.json"), "compare.py", argv,
                  title=title, machine=machine, rows=rows)

if __name__ == "__main__":
    main()
