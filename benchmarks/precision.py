"""Does bfloat16 + channels-last training on the CPU detect as well as float32? The demo's run, both ways, side by side.

For each seed: `pipeline.train` of RIAD (tiny U-Net) on SyntheticDefects at 128 px for 30 epochs (the `inpaint-tutorial demo`
configuration: 20% validation, best-validation weights), once in float32 with the contiguous layout and once with bfloat16
autocast and channels-last, one after the other; then the same evaluation (detection in float32 either way). Prints and
writes (benchmarks/results/precision.json) image AUROC, pixel AUROC, AUPRO, training images per second and training seconds
per run, the mean over seeds, and the throughput ratio.

    python benchmarks/precision.py                 # seeds 0,1,2
    python benchmarks/precision.py --seeds 0 --epochs 5
"""
import argparse, json, statistics, sys
from pathlib import Path
import torch
from summary import machine_line, train_and_score
from inpaint_tutorial.training import TrainSettings

MODES = {"fp32": dict(precision="fp32", channels_last="off"), "bf16+cl": dict(precision="bf16", channels_last="on")}
KEYS = ("image_auroc", "pixel_auroc", "aupro", "images_per_s", "train_s")

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--seeds", default="0,1,2"); p.add_argument("--epochs", type=int, default=30); p.add_argument("--size", type=int, default=128)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "precision.json"))
    a = p.parse_args(argv)
    machine = machine_line("cpu", f"cpu capability {torch.backends.cpu.get_cpu_capability()}")
    print("machine:", machine)
    runs = {m: [] for m in MODES}
    for seed in map(int, a.seeds.split(",")):
        for mode, levers in MODES.items():
            run = TrainSettings(n_epochs=a.epochs, bs=8, lr=1e-3, seed=seed, val_fraction=0.2, patience=1000, **levers)
            m, r, _ = train_and_score("riad", None, "synthetic", a.size, run)
            ep = r["history"]["epochs"]
            row = dict(seed=seed, image_auroc=m["image_auroc"], pixel_auroc=m["pixel_auroc"], aupro=m["aupro"],
                       images_per_s=statistics.median(e["images_per_s"] for e in ep), train_s=sum(e["seconds"] + e["time"].get("validation", 0) for e in ep),
                       best_epoch=r["history"]["best_epoch"])
            runs[mode].append(row)
            print(f"seed {seed} {mode:8s} " + "  ".join(f"{k} {row[k]:.4f}" for k in KEYS), flush=True)
    mean = {mode: {k: statistics.fmean(r[k] for r in rs) for k in KEYS} for mode, rs in runs.items()}
    std = {mode: {k: statistics.stdev([r[k] for r in rs]) if len(rs) > 1 else 0.0 for k in KEYS} for mode, rs in runs.items()}
    for mode in MODES: print(f"mean {mode:8s} " + "  ".join(f"{k} {mean[mode][k]:.4f} +- {std[mode][k]:.4f}" for k in KEYS))
    ratio = mean["bf16+cl"]["images_per_s"] / mean["fp32"]["images_per_s"]
    print(f"throughput bf16+cl / fp32: x{ratio:.2f}")
    Path(a.out).write_text(json.dumps(dict(machine=machine, command="python benchmarks/precision.py " + " ".join(argv or sys.argv[1:]),
                                           runs=runs, mean=mean, std=std, throughput_ratio=ratio), indent=2))
    print(f"results written to {a.out}")

if __name__ == "__main__":
    main()
