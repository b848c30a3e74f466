"""The CSA method, its ablations and its score sources, beside RIAD, under compare.py's protocol; with the paper's Table I shape.

Rows (each trained on every seed through `inpaint_tutorial.pipeline.train`, the path `inpaint-tutorial train` takes):
  csa         the full method: Barlow Twins pretraining of the rough encoder, refinement with CSA, consistency loss
  csa-lite0   the same with ImageNet EfficientNet-Lite0 (the package's default) as consistency target and score
  csa-no-bt   without Barlow Twins (rough encoder randomly initialised)
  csa-rough   without CSA: the rough network alone (no refinement, so no consistency loss)
  riad        RIAD's U-Net at the same size, epochs, batch and learning rate, for reference
Every CSA model's inpaintings are scored by every offline source (one inpainting, several scores): perceptual with the
seeded random SqueezeNet 1.1 (PAPER_NET below; the consistency target too; its map's mean, eq. 7, and the maximum of its
21 px mean filter, `pool="max"`), perceptual with a seeded random VGG-16 (relu4_3), perceptual with ImageNet
EfficientNet-Lite0 (`lite0-imagenet`, not a default source), barlow (the method's own rough encoder), msgms and ssim. A
source that names the model's own score is its plain row. ImageNet weights are not on this machine; a user who
has them adds `--imagenet` (torchvision's cached files) to score with them as well.

Table I of the paper reports recall, TNR and AUC. Its threshold rule is not given; ours: the 95th percentile of the image
scores of 64 normal training images (seeded), a rule that needs no defective image. F1-max (an oracle: the threshold is
chosen on the test set) is shown next to the trivial "flag everything" F1 = 2p / (1 + p), p the share of defective images.

Usage (from the repository root; minutes on a 2-core CPU):
    python benchmarks/csa.py --dataset synthetic                         # 128 px, 30 epochs: the demo's configuration
    python benchmarks/csa.py --dataset elpv                              # compare.py's ELPV protocol: 64 px, 10 epochs, 300 / 300
Writes benchmarks/results/csa_<dataset>.json (table, per-seed runs, command, machine).
"""
import argparse, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np
import torch
from torch.utils.data import Subset
from inpaint_tutorial import pipeline
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.method import get_method
from inpaint_tutorial.metrics import evaluate as score_metrics
from inpaint_tutorial.riad import grid_views, inpaint
from inpaint_tutorial.csa import score_inpainting
from inpaint_tutorial.unet import count_params
from summary import machine_line, summarize, print_table, write_results, protocol, train_and_score

# the measured configuration: the paper's SqueezeNet 1.1 with seeded random weights (offline) as consistency target and score;
# five_methods.py compares CSA with the package's default, ImageNet EfficientNet-Lite0
PAPER_NET = dict(features="squeezenet1_1", feature_weights="random")
# CSA's ablations in the paper's configuration (PAPER_NET); the other scripts' variants are in variants.py
VARIANTS = {"csa": ("csa", PAPER_NET), "csa-no-bt": ("csa", dict(PAPER_NET, pretrain=False)),
            "csa-rough": ("csa", dict(PAPER_NET, attention=False)), "riad": ("riad", {}),
            "csa-lite0": ("csa", dict(features="efficientnet_lite0", feature_weights="imagenet"))}   # the package's default network
_net = lambda features, weights: dict(features=features, feature_weights=weights, feature_layer=-1)   # a perceptual source's frozen network
SOURCES = {"squeezenet-random": dict(score="perceptual", **_net("squeezenet1_1", "random")),
           "squeezenet-random-max": dict(score="perceptual", pool="max", **_net("squeezenet1_1", "random")),
           "vgg16-random": dict(score="perceptual", **_net("vgg16", "random")),
           "lite0-imagenet": dict(score="perceptual", **_net("efficientnet_lite0", "imagenet")),
           "barlow": dict(score="barlow"), "msgms": dict(score="msgms"), "ssim": dict(score="ssim")}
DEFAULT_SOURCES = [k for k in SOURCES if k != "lite0-imagenet"]

def source_settings(s, k):
    "The settings that score a model's inpaintings with source k; None where k is the model's own score (its plain row)."
    src = SOURCES[k]
    if all(getattr(s, f) == v for f, v in src.items() if f != "feature_layer"): return None
    return replace(s, **src, feature_id="") if "features" in src else replace(s, **src)   # another network: not the recorded one
KEYS = ("image_auroc", "pixel_auroc", "aupro", "f1_max", "f1_trivial", "recall", "tnr", "train_s", "infer_ms")

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", default="synthetic", choices=["synthetic", "elpv"])
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--sources", default=None, help=f"score sources of the CSA rows (default: {', '.join(DEFAULT_SOURCES)} on synthetic; "
                                                   "all but vgg16-random on elpv)")
    p.add_argument("--imagenet", action="store_true", help="also score with torchvision's ImageNet SqueezeNet 1.1 (needs its cached file)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--size", type=int, default=None, help="default 128 (synthetic), 64 (elpv, as compare.py)")
    p.add_argument("--epochs", type=int, default=None, help="default 30 (synthetic), 10 (elpv)")
    p.add_argument("--bs", type=int, default=8); p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-train", type=int, default=None, help="elpv: training cells (default 300, as compare.py)")
    p.add_argument("--max-test", type=int, default=None, help="elpv: test cells (default 300, as compare.py)")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    elpv = a.dataset == "elpv"
    a.size = a.size or (64 if elpv else 128); a.epochs = a.epochs or (10 if elpv else 30)
    if elpv: a.max_train, a.max_test = a.max_train or 300, a.max_test or 300
    a.variants = [v for v in a.variants.split(",") if v]
    if bad := [v for v in a.variants if v not in VARIANTS]: p.error(f"unknown variants {bad}: choose from {list(VARIANTS)}")
    a.sources = [s for s in (a.sources or ",".join(k for k in DEFAULT_SOURCES if not (elpv and k == "vgg16-random"))).split(",") if s]
    if bad := [s for s in a.sources if s not in SOURCES]: p.error(f"unknown sources {bad}: choose from {list(SOURCES)}")
    if a.imagenet: SOURCES["squeezenet-imagenet"] = dict(score="perceptual", **_net("squeezenet1_1", "imagenet")); a.sources.append("squeezenet-imagenet")
    a.seeds = [int(s) for s in a.seeds.split(",")]
    return a

def spec_of(a) -> str:
    if a.dataset == "synthetic": return "synthetic"
    return f"elpv:max_train={a.max_train},max_test={a.max_test}"

def threshold_of(method, s, model, train_ds, seed, bs, sources=None) -> dict:
    "Per score source: the 95th percentile of the scores of 64 seeded normal training images."
    idx = torch.randperm(len(train_ds), generator=make_generator(seed + 1000))[:64].tolist()
    return {k: float(np.percentile(v, 95)) for k, v in detect_all(method, s, model, Subset(train_ds, idx), seed, bs, sources)[0].items()}

def detect_all(method, s, model, ds, seed, bs, sources=None):
    "Every source's scores (and maps) for a dataset, from one inpainting per image (`pipeline.detection_batches`); the default source is timed."
    secs = 0.0
    def detect(model, x, s, *, generator):
        nonlocal secs
        t0 = time.perf_counter()
        if method.name != "csa":
            dets = {"own": method.detect(model, x, s, generator=generator)}; secs += time.perf_counter() - t0
            return dets
        b, c, h, w = x.shape
        views, vmasks = grid_views(x, s.ks, s.n, generator=generator)
        with torch.no_grad(): recon = inpaint(model, views, vmasks).clamp(0, 1).view(b, len(s.ks), c, h, w)
        dets = {"own": score_inpainting(model, x, recon, s)}
        secs += time.perf_counter() - t0
        for k in sources or []:
            if (sk := source_settings(s, k)) is not None: dets[k] = score_inpainting(model, x, recon, sk)
        return dets
    scores, maps, labels, masks = {}, {}, [], []
    for batch, dets in pipeline.detection_batches(method, s, model, ds, device="cpu", seed=seed, bs=bs, detect=detect):
        labels.append(batch.label)
        if getattr(ds, "has_masks", False): masks.append(batch.mask)          # ELPV: image labels only
        for k, d in dets.items():
            scores.setdefault(k, []).append(d.score.float()); maps.setdefault(k, []).append(d.anomaly_map.float())
    cat = lambda v: torch.cat(v).numpy()
    return ({k: cat(v) for k, v in scores.items()}, {k: torch.cat(v) for k, v in maps.items()}, cat(labels),
            torch.cat(masks) if masks else None, secs / len(ds))

def run_one(a, variant:str, seed:int) -> dict:
    name, extra = VARIANTS[variant]
    method = get_method(name)
    spec = spec_of(a)
    row, r, test_ds = train_and_score(method, method.Settings(**extra), spec, a.size, protocol(a, val_fraction=0.2, patience=1000, seed=seed), score=False)
    train_s = 60 * row["train_min"]
    s, model = r["settings"], r["model"].eval()
    train_ds = pipeline.open_dataset(spec, "train", a.size, seed=seed, channels=r["channels"])
    sources = a.sources if name == "csa" else None
    scores, maps, labels, masks, spi = detect_all(method, s, model, test_ds, seed, a.bs, sources)
    thr = threshold_of(method, s, model, train_ds, seed, a.bs, sources)
    p = float(labels.mean())
    out = {}
    for k in scores:
        m = score_metrics(scores[k], labels, *((maps[k], masks) if masks is not None else ()))
        flagged = scores[k] >= thr[k]
        row = dict(image_auroc=m["image_auroc"], f1_max=m["f1_max"], f1_trivial=2 * p / (1 + p),
                   recall=float(flagged[labels == 1].mean()), tnr=float((~flagged[labels == 0]).mean()), threshold=thr[k])
        if "pixel_auroc" in m: row.update(pixel_auroc=m["pixel_auroc"], aupro=m["aupro"])
        out[k] = row
    common = dict(train_s=train_s, infer_ms=1000 * spi, params=count_params(model), n_train=r["n_train"], n_test=len(test_ds),
                  best_epoch=r["history"]["best_epoch"], stopped_early=r["history"]["stopped_early"])
    return {k: {**v, **common} for k, v in out.items()}

def main(argv=None):
    a = parse_args(argv)
    machine = machine_line("cpu")
    title = (f"{spec_of(a)}: {a.size} px, {a.epochs} epochs (CSA: + 30% Barlow Twins epochs), batch {a.bs}, lr {a.lr}, preset tiny, "
             f"seeds {','.join(map(str, a.seeds))}, {a.precision}")
    print("machine:", machine); print("config:", title); print("command: python benchmarks/csa.py", *(argv or sys.argv[1:]), flush=True)
    per_row = {}
    for variant in a.variants:
        for seed in a.seeds:
            res = run_one(a, variant, seed)
            for src, r in res.items():
                label = variant if src == "own" else f"{variant} / {src}"
                per_row.setdefault(label, []).append(r)
                print(f"{label:28s} seed {seed}: " + "  ".join(f"{k} {r[k]:.4f}" for k in KEYS if k in r), flush=True)
    rows = [summarize(label, runs, KEYS) for label, runs in per_row.items()]
    print_table(rows, KEYS)
    write_results(Path(a.out or Path(__file__).parent / "results" / f"csa_{a.dataset}.json"), "csa.py", argv,
                  title=title, machine=machine, rows=rows,
                  notes=dict(threshold="95th percentile of the image scores of 64 seeded normal training images (recall, tnr)",
                             f1_max="threshold chosen on the test set (oracle)", f1_trivial="F1 of flagging every test image",
                             sources="rows 'csa', 'csa-no-bt' score with the training configuration (perceptual, random SqueezeNet 1.1; "
                                     "'csa-lite0': ImageNet EfficientNet-Lite0); "
                                     "'<variant> / <source>' rows score the same inpaintings with another source"))

if __name__ == "__main__":
    main()
