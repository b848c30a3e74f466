"""Barlow Twins pretraining of the U-Net encoder (chapter 11): its loss curve, and whether the learned features beat random ones.

For every seed: a tiny-preset U-Net encoder (the rough network of the `csa` method: image + all-keep mask channel) is
pretrained with `barlow_step` on the normal training images of SyntheticDefects (128 px, 256 images, batch 16, Adam, lr
1e-3, projector width 128, lambda = 1/128). Its features are then compared with those of the same encoder with random
weights (the seed's initialisation, before pretraining) by `nn_separability`: the AUROC of the nearest-neighbour feature
distance to a bank of 32 training images, on (a) 32 held-out normal images vs the same images with Perlin pseudo-anomalies
and (b) the test split's normal vs defective images (drawn defects the pretraining never saw). Writes
benchmarks/results/barlow.json, which the 11_barlow chapter plots and BENCHMARKS.md quotes.

It calls `training.fit` itself rather than the benchmarks' runner (`summary.train_and_score`): it trains no method, only
the encoder's Barlow Twins stage, and evaluates features, not detections.

Usage: python benchmarks/barlow.py [--seeds 0,1,2] [--epochs 20]
"""
import argparse, copy, statistics, sys, time
from pathlib import Path
import torch
from inpaint_tutorial.core import make_generator, seed_everything
from inpaint_tutorial.data import SyntheticDefects
from inpaint_tutorial.csa import CSANet
from inpaint_tutorial.barlow import BarlowTwins, barlow_step, nn_separability
from inpaint_tutorial.perlin import synthesize_batch
from inpaint_tutorial.training import fit
from summary import machine_line, write_results

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2"); ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--size", type=int, default=128); ap.add_argument("--n-train", type=int, default=256)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "barlow.json"))
    a = ap.parse_args(argv)
    if a.n_train < 96: ap.error("--n-train must be at least 96 (32 bank images, 32 held-out normal images, 32 spare)")
    runs = []
    for seed in map(int, a.seeds.split(",")):
        seed_everything(seed)
        train = SyntheticDefects("train", size=a.size, n_train=a.n_train, seed=seed)
        test = SyntheticDefects("test", size=a.size, seed=seed)
        net = CSANet(1, "tiny"); random_net = copy.deepcopy(net)
        t0 = time.perf_counter()
        h = fit(BarlowTwins(net), train, barlow_step, n_epochs=a.epochs, bs=16, lr=1e-3, progress=False, val_fraction=0.1, patience=1000, seed=seed)
        secs = time.perf_counter() - t0
        x = torch.stack([train[i].image for i in range(96)])
        syn = synthesize_batch(x[64:], generator=make_generator(seed), foregrounds="full", p_anomaly=1.0)
        t_img = torch.stack([t.image for t in test]); t_lab = torch.tensor([t.label for t in test])
        row = dict(seed=seed, seconds=round(secs, 1), train_loss=[e["train_loss"] for e in h["epochs"]],
                   val_loss=[e.get("val_loss") for e in h["epochs"]], best_epoch=h["best_epoch"])
        for name, n in (("pretrained", net), ("random", random_net)):
            row[f"pseudo_{name}"] = nn_separability(n, x[:32], x[64:], syn.image)
            row[f"test_{name}"] = nn_separability(n, x[:32], t_img[t_lab == 0], t_img[t_lab == 1])
        runs.append(row)
        print(f"seed {seed}: {secs:.0f} s, loss {row['train_loss'][0]:.1f} -> {row['train_loss'][-1]:.1f}; NN AUROC pseudo-anomalies "
              f"pretrained {row['pseudo_pretrained']:.3f} vs random {row['pseudo_random']:.3f}; test defects "
              f"pretrained {row['test_pretrained']:.3f} vs random {row['test_random']:.3f}", flush=True)
    summary = {k: dict(mean=statistics.fmean(r[k] for r in runs), std=statistics.stdev([r[k] for r in runs]) if len(runs) > 1 else 0.0)
               for k in ("pseudo_pretrained", "pseudo_random", "test_pretrained", "test_random")}
    for k, v in summary.items(): print(f"{k:18s} {v['mean']:.3f} +- {v['std']:.3f}")
    write_results(Path(a.out), "barlow.py", argv, runs=runs, summary=summary,
                  config=dict(size=a.size, n_train=a.n_train, epochs=a.epochs, bs=16, lr=1e-3, projector_width=128, lambd="1/128"),
                  machine=machine_line("cpu"))

if __name__ == "__main__": main()
