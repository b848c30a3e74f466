"""I3AD: does iterating help? The ablation over T = 0..5 (and the two mask rules), per defect kind, with the SNR per iteration.

For every seed: `i3ad` (RIAD's U-Net, tiny preset, trained with blob and grid holes, then calibrated) is trained through
`inpaint_tutorial.pipeline.train` under compare.py's protocol. On the test split `iterate` runs once with T = 5; since an
iteration's map does not depend on how many follow it, iteration t's map is what a run with T = t reports. For every t:
image AUROC, pixel AUROC and AUPRO (where masks exist), image AUROC per defect kind (normal vs that kind), the ratio of the
mean map on anomalous pixels to the mean on normal pixels (the paper's signal-to-noise aim), the mean mask coverage on
normal and on defective images, and the images' stop statuses. Both rules are scored: `calibrated` (the trained model's tau)
and `per-image`. Seconds per image are timed separately for every T on the first 16 test images.

Usage (from the repository root):
    python benchmarks/i3ad.py --dataset synthetic        # 128 px, 30 epochs (the demo's configuration)
    python benchmarks/i3ad.py --dataset elpv             # compare.py's ELPV protocol: 64 px, 10 epochs, 300 / 300 cells
Writes benchmarks/results/i3ad_<dataset>.json.
"""
import argparse, statistics, time
from collections import Counter
from pathlib import Path
import numpy as np
import torch
from inpaint_tutorial import pipeline
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.method import get_method
from inpaint_tutorial.i3ad import I3ADSettings, iterate
from inpaint_tutorial.losses import mean_filter
from inpaint_tutorial.metrics import image_auroc, pixel_auroc, aupro
from inpaint_tutorial.riad import image_score
from summary import machine_line, write_results, protocol, train_and_score

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", default="synthetic", choices=["synthetic", "elpv"])
    p.add_argument("--seeds", default="0,1,2"); p.add_argument("--T", type=int, default=5)
    p.add_argument("--size", type=int, default=None); p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--bs", type=int, default=8); p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-train", type=int, default=300); p.add_argument("--max-test", type=int, default=300)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    a.size = a.size or (64 if a.dataset == "elpv" else 128); a.epochs = a.epochs or (10 if a.dataset == "elpv" else 30)
    a.seeds = [int(s) for s in a.seeds.split(",")]
    return a

def spec_of(a): return "synthetic" if a.dataset == "synthetic" else f"elpv:max_train={a.max_train},max_test={a.max_test}"

def run_seed(a, seed):
    run = protocol(a, val_fraction=0.2, patience=1000, seed=seed, precision="fp32", channels_last="off")
    row, r, test_ds = train_and_score(get_method("i3ad"), I3ADSettings(T=a.T), spec_of(a), a.size, run, score=False)
    train_s = 60 * row["train_min"]
    s, model = r["settings"], r["model"].eval()
    res = {}
    for rule, tau in (("calibrated", float(model.tau)), ("per-image", None)):
        amaps, covs, labels, masks, kinds, status = [], [], [], [], [], []
        every_step = lambda m, x, s, *, generator: iterate(m, x, T=a.T, tau=tau, quantile=s.quantile, radius=s.radius, k0=s.k0, n=s.n, generator=generator)
        for batch, it in pipeline.detection_batches(get_method("i3ad"), s, model, test_ds, device="cpu", seed=seed, bs=a.bs, detect=every_step):
            amaps.append(it.amap[:, :, 0]); covs.append(it.coverage); labels.append(batch.label); masks.append(batch.mask[:, 0])
            kinds += list(batch.defect); status += it.status
        A, C, y, M = torch.cat(amaps), torch.cat(covs), torch.cat(labels).numpy(), torch.cat(masks)
        has_masks = test_ds.has_masks
        per_t = []
        for t in range(a.T + 1):
            amap = mean_filter(A[:, t:t + 1], s.filter_size)
            score = image_score(amap, s.filter_size, s.score_region).numpy()
            row = dict(t=t, image_auroc=image_auroc(score, y), coverage_normal=float(C[y == 0, t].mean()), coverage_defective=float(C[y == 1, t].mean()))
            if has_masks:
                row.update(pixel_auroc=pixel_auroc(amap, M[:, None]), aupro=aupro(amap, M[:, None]))
                raw = A[:, t]
                row["snr"] = float(raw[M > 0].mean() / raw[M == 0].mean().clamp_min(1e-12))
            kind = np.array(kinds)
            row["per_kind"] = {k: image_auroc(score[(kind == k) | (y == 0)], y[(kind == k) | (y == 0)]) for k in sorted(set(kinds) - {"good"})} \
                              if len(set(kinds) - {"good"}) > 1 else {}
            per_t.append(row)
        res[rule] = dict(per_t=per_t, status=dict(Counter(status)))
    x16 = torch.stack([test_ds[i].image for i in range(min(16, len(test_ds)))])
    spi = []
    for t in range(a.T + 1):
        t0 = time.perf_counter(); iterate(model, x16, T=t, tau=float(model.tau), generator=make_generator(0)); spi.append((time.perf_counter() - t0) / len(x16))
    return dict(seed=seed, train_s=train_s, tau=float(model.tau), seconds_per_image=spi, rules=res, n_train=r["n_train"], n_test=len(test_ds))

def main(argv=None):
    a = parse_args(argv)
    machine = machine_line("cpu")
    title = f"{spec_of(a)}: {a.size} px, {a.epochs} epochs, batch {a.bs}, lr {a.lr}, i3ad (unet tiny), T = 0..{a.T}, seeds {a.seeds}, fp32"
    print("machine:", machine); print("config:", title, flush=True)
    runs = []
    for seed in a.seeds:
        r = run_seed(a, seed); runs.append(r)
        for rule, v in r["rules"].items():
            print(f"seed {seed} {rule:10s} statuses {v['status']}")
            for row in v["per_t"]:
                print(f"  t={row['t']}  image {row['image_auroc']:.4f}" + (f"  pixel {row['pixel_auroc']:.4f}  aupro {row['aupro']:.4f}  snr {row['snr']:.2f}" if "snr" in row else "")
                      + f"  coverage normal {row['coverage_normal']:.3f} defective {row['coverage_defective']:.3f}  s/img {r['seconds_per_image'][row['t']]:.3f}", flush=True)
    table = {}
    for rule in ("calibrated", "per-image"):
        rows = []
        for t in range(a.T + 1):
            vals = [r["rules"][rule]["per_t"][t] for r in runs]
            keys = [k for k in ("image_auroc", "pixel_auroc", "aupro", "snr", "coverage_normal", "coverage_defective") if k in vals[0]]
            row = {k: (statistics.fmean(v[k] for v in vals), statistics.stdev([v[k] for v in vals]) if len(vals) > 1 else 0.0) for k in keys}
            row["seconds_per_image"] = (statistics.fmean(r["seconds_per_image"][t] for r in runs), 0.0)
            for kind in vals[0]["per_kind"]:
                row[f"kind_{kind}"] = (statistics.fmean(v["per_kind"][kind] for v in vals), statistics.stdev([v["per_kind"][kind] for v in vals]) if len(vals) > 1 else 0.0)
            rows.append(dict(t=t, **{k: dict(mean=m, std=sd) for k, (m, sd) in row.items()}))
        table[rule] = rows
        keys = [k for k in rows[0] if k != "t"]
        print(f"\n{rule}\n| T | " + " | ".join(keys) + " |\n" + "|---" * (len(keys) + 1) + "|")
        for row in rows: print(f"| {row['t']} | " + " | ".join(f"{row[k]['mean']:.3f} +- {row[k]['std']:.3f}" for k in keys) + " |")
    write_results(Path(a.out or Path(__file__).parent / "results" / f"i3ad_{a.dataset}.json"), "i3ad.py", argv,
                  title=title, machine=machine, table=table, runs=runs)

if __name__ == "__main__": main()
