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
    elpv         the ELPV solar cells, full protocol of 01a_builtin_data, 128 px

    python benchmarks/real_data.py --dataset ball_screw                      # every method, 3 seeds, 30 min each
    python benchmarks/real_data.py --dataset ball_screw --budget 5 --seeds 0 --methods riad,pixelstats
    python benchmarks/real_data.py --table benchmarks/results/real_data_ball_screw.json   # the markdown table of a result file

The result file is rewritten after every run (`complete: false` until the last one), so an interrupted protocol keeps
what it measured. The protocol is hours of CPU per dataset: its seeds (or methods) can run as separate invocations, one
per core with `--threads 1`, each with its own --out, and be merged into one result file (same dataset, size, budget,
methods, kind of machine; distinct seeds):

    python benchmarks/real_data.py --dataset ball_screw --methods ae,riad --seeds 1 --threads 1 --out /tmp/bs_s1.json
    python benchmarks/real_data.py --merge /tmp/bs_s0.json,/tmp/bs_s1.json --out benchmarks/results/real_data_ball_screw.json
"""
import argparse, json, sys
from pathlib import Path
from inpaint_tutorial.cli import image_size
import torch
from inpaint_tutorial.training import AUGMENTS
from inpaint_tutorial.method import get_method, list_methods
from summary import (summarized_rows, print_table, write_results, machine_line, ball_screw_spec, protocol, train_and_score, merge_parts,
                     markdown_table)

KEYS = ("image_auroc", "pixel_auroc", "aupro", "f1_max", "f1_trivial", "train_min", "epochs", "infer_ms")

def spec_and_size(a):
    if a.dataset == "ball_screw": return ball_screw_spec(a.ball_screw), image_size(a.size or "448x192")
    return "elpv", image_size(a.size or "128")

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--dataset", default="ball_screw", choices=["ball_screw", "elpv"])
    p.add_argument("--ball-screw", default=None, help="path of the ball-screw category folder")
    p.add_argument("--methods", default=None, help=f"comma separated (default: every registered method: {', '.join(list_methods())})")
    p.add_argument("--seeds", default="0,1,2"); p.add_argument("--size", default=None, help="N or WIDTHxHEIGHT")
    p.add_argument("--budget", type=float, default=30.0, help="training minutes per run")
    p.add_argument("--epochs", type=int, default=10_000, help="ceiling on the epochs (the budget is the real limit)")
    p.add_argument("--patience", type=int, default=20); p.add_argument("--bs", type=int, default=8)
    p.add_argument("--augment", choices=AUGMENTS, default="none", help="training augmentation (fit's AUGMENTS); none by default")
    p.add_argument("--lr", type=float, default=1e-3); p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--out", default=None, help="results file (default benchmarks/results/real_data_<dataset>.json)")
    p.add_argument("--table", default=None, metavar="RESULTS", help="print the markdown table of a result file and exit")
    p.add_argument("--merge", default=None, metavar="RESULTS,RESULTS", help="merge result files of the same protocol run with other seeds into --out and exit")
    a = p.parse_args(argv)
    if a.table:
        print(markdown_table(json.loads(Path(a.table).read_text()))); return
    if a.merge:
        if not a.out: p.error("--merge needs --out")
        try: res = merge_parts(a.merge.split(","), Path(a.out), argv, "real_data.py", KEYS)
        except (ValueError, OSError) as e: sys.exit(f"cannot merge: {e}")
        print(markdown_table(res)); return
    if a.threads: torch.set_num_threads(a.threads)
    methods = a.methods.split(",") if a.methods else list_methods()
    seeds = [int(s) for s in a.seeds.split(",")]
    spec, size = spec_and_size(a)
    machine = machine_line(a.device)
    size_text = f"{size}x{size}" if isinstance(size, int) else f"{size[1]}x{size[0]}"
    title = f"{a.dataset}: {size_text} px (WxH), {a.budget:g} min of training per run, batch {a.bs}, lr {a.lr}, patience {a.patience}, seeds {a.seeds}" + (f", augment {a.augment}" if a.augment != "none" else "")
    print("machine:", machine); print("config:", title)
    out = Path(a.out or Path(__file__).parent / "results" / f"real_data_{a.dataset}.json")
    runs = {}
    save = lambda complete: write_results(out, "real_data.py", argv, title=title, seeds=list(seeds), machine=machine, complete=complete,
                                          rows=summarized_rows(runs, KEYS))
    for name in methods:
        runs[name], method = [], get_method(name)
        for seed in seeds:
            try: r, _, _ = train_and_score(method, method.Settings(), spec, size, protocol(a, val_fraction=0.2, seed=seed), a.device)
            except ValueError as e:   # e.g. a budget too short for one epoch: recorded, not hidden
                print(f"{name:10s} seed {seed}: refused: {e}", flush=True); runs[name].append(dict(error=str(e))); continue
            runs[name].append(r)
            print(f"{name:10s} seed {seed}: " + "  ".join(f"{k} {r[k]:.4f}" for k in KEYS if k in r), flush=True)
            save(complete=False)
    print_table(summarized_rows(runs, KEYS), KEYS)
    save(complete=True)

if __name__ == "__main__":
    main()
