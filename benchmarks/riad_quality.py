"""RIAD detection quality on `SyntheticDefects`: train and evaluate one configuration over several seeds.

For each seed the script does what `inpaint-tutorial demo` does (seed_everything(seed); train and test split generated
with that seed, the test split of SyntheticDefects' default 48 images, which the demo scored until it moved to 240, see
demo_spread.py --test-sizes; `fit` with 20% of the training images held out for validation and the best-validation weights kept;
`detect` with masks drawn from `make_generator(seed)`), then prints one line per seed and a final "mean +- std" line:
image AUROC, pixel AUROC, AUPRO, training seconds, inference seconds per image, and image AUROC per defect kind
(the test normals against the images of that kind only).

The image score is `detect`'s (eq. 10): by default (--score-region valid) the maximum over the positions whose whole
filter window lies inside the image. Diagnosis columns:
- `full` = image AUROC when the score is instead the maximum over the whole map (--score-region full), and `bord%` = share
  of normal test images whose whole-map maximum lies in the border of filter_size//2 pixels. If `full` is much lower than
  the valid-region AUROC and `bord%` is high, whole-map maxima measure the border rather than the image.
- with --verbose, the sorted image scores of the normal and defective test images of every seed.

Usage (run from the repository root, one run at a time; the numbers are for a 2-core CPU):
    python benchmarks/riad_quality.py                                  # the demo's configuration, seeds 0,1,2
    python benchmarks/riad_quality.py --preset tiny --size 128 --epochs 30 --bs 8 --lr 1e-3 --n-train 64 \
        --ks 2,4,8,16 --n 3 --filter-size 21 --crop 128 --seeds 0,1,2 --texture brick
"""
import argparse, statistics, sys
from pathlib import Path
import numpy as np
import torch
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.data import DEFECT_KINDS, TEXTURES
from inpaint_tutorial.method import get_method
from inpaint_tutorial.unet import PRESETS, unet_from_preset, count_params
from inpaint_tutorial.riad import RIADSettings, riad_step
from inpaint_tutorial.metrics import image_auroc, pixel_auroc, aupro
from inpaint_tutorial.pipeline import detect_dataset
from summary import machine_line, summarize, write_results, protocol, train_and_score

def ints(text:str) -> tuple[int, ...]: return tuple(int(v) for v in text.split(",") if v.strip())

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="U-Net preset")
    p.add_argument("--size", type=int, default=128, help="image side (multiple of lcm(max k, 2**(depth-1)))")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--bs", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="fp32 (contiguous layout): the precision the committed tables were measured in; bf16: bfloat16 autocast + channels-last")
    p.add_argument("--n-train", type=int, default=64, help="training images (20%% of them are held out for validation)")
    p.add_argument("--ks", type=ints, default=(2, 4, 8, 16), help="region sizes K, comma separated (training and detection)")
    p.add_argument("--n", type=int, default=3, help="disjoint mask sets per k")
    p.add_argument("--filter-size", type=ints, default=(21,),
                   help="mean filter of the anomaly map (odd); a comma list evaluates each size on the same trained model")
    p.add_argument("--crop", type=int, default=128, help="crop side in photo pixels")
    p.add_argument("--seeds", type=ints, default=(0, 1, 2))
    p.add_argument("--texture", default="brick", choices=TEXTURES)
    p.add_argument("--val-fraction", type=float, default=0.2, help="as the demo")
    p.add_argument("--patience", type=int, default=1000, help="early-stopping patience in epochs (the demo: 1000, i.e. none)")
    p.add_argument("--eval-bs", type=int, default=16, help="test images per detect call (the demo: 16; it changes the mask draws)")
    p.add_argument("--score-region", default="valid", choices=["valid", "full"], help="where detect takes the image score's maximum")
    p.add_argument("--augment", default="none", choices=["none", "shift", "flip", "flip+shift"], help="training augmentation (fit's augment)")
    p.add_argument("--verbose", action="store_true", help="also print the sorted scores of normal and defective images")
    p.add_argument("--out", default=None, help="results file (default benchmarks/results/riad_quality_<size>px[_<score region>][_bf16][_<augment>].json)")
    a = p.parse_args(argv)
    m = int(np.lcm(max(a.ks), 2 ** (PRESETS[a.preset]["depth"] - 1)))
    if a.size % m: p.error(f"--size {a.size} must be a multiple of {m}")
    if any(f % 2 == 0 or f < 1 for f in a.filter_size): p.error("--filter-size must be odd and positive")
    return a

def train_seed(a, seed:int):
    "Train one model as the demo does, through the benchmarks' runner; returns (model with the best-validation weights, test set, training info)."
    spec = f"synthetic:{a.texture},n_train={a.n_train},crop={a.crop}"
    settings = RIADSettings(preset=a.preset, ks=tuple(a.ks), n=a.n, score_region=a.score_region)
    row, r, test_ds = train_and_score(get_method("riad"), settings, spec, a.size, protocol(a, val_fraction=a.val_fraction, seed=seed), score=False)
    return r["model"], test_ds, dict(train_s=60 * row["train_min"], best_epoch=row["best_epoch"], best_val=r["history"]["best_val_loss"])

def evaluate_seed(a, seed:int, model, test_ds, filter_size:int) -> dict:
    "Detect on every test image with masks from make_generator(seed); metrics, per-kind AUROC and the border diagnosis."
    s = RIADSettings(preset=a.preset, ks=tuple(a.ks), n=a.n, filter_size=filter_size, score_region=a.score_region)
    det = detect_dataset(get_method("riad"), s, model, test_ds, device="cpu", seed=seed, bs=a.eval_bs, keep_maps=True, gallery=0)
    maps, scores, labels, masks, kinds, infer_s = det.maps, det.scores, det.labels, det.masks, det.defects, det.seconds_per_image
    kinds = np.array(kinds)
    res = dict(image_auroc=image_auroc(scores, labels), pixel_auroc=pixel_auroc(maps, masks), aupro=aupro(maps, masks),
               infer_s=infer_s)
    good = kinds == "good"
    for kind in DEFECT_KINDS:
        sel = good | (kinds == kind)
        if (kinds == kind).any(): res[kind] = image_auroc(scores[sel], labels[sel])
    # diagnosis: the whole-map maximum, and where the normal images' maxima lie
    b = border(a, filter_size)
    res["full"] = image_auroc(maps.flatten(1).amax(1).numpy(), labels)
    h, w = maps.shape[-2:]
    arg = maps[torch.from_numpy(good)].flatten(1).argmax(1)
    yy, xx = arg // w, arg % w
    res["bord%"] = 100 * float(((yy < b) | (yy >= h - b) | (xx < b) | (xx >= w - b)).float().mean())
    res["_scores"] = {k: np.sort(scores[kinds == k]) for k in ["good", *DEFECT_KINDS] if (kinds == k).any()}
    res["_gap"] = float(scores[~good].mean() - scores[good].mean()) / (float(scores[good].std()) + 1e-12)
    return res

def border(a, filter_size:int) -> int: return max(1, min(filter_size // 2, a.size // 4))

COLS = ["image_auroc", "pixel_auroc", "aupro", "train_s", "infer_s", *DEFECT_KINDS, "full", "bord%"]
SHORT = dict(image_auroc="img", pixel_auroc="pix", aupro="pro", train_s="train_s", infer_s="s/img")

def fmt(name, v) -> str:
    if name == "train_s": return f"{v:.1f}"
    if name == "infer_s": return f"{v:.4f}"
    if name == "bord%": return f"{v:.0f}"
    return f"{v:.3f}"

def main(argv=None):
    a = parse_args(argv)
    machine = machine_line("cpu")
    print("machine:", machine)
    cfg = dict(preset=a.preset, size=a.size, epochs=a.epochs, bs=a.bs, lr=a.lr, n_train=a.n_train, ks=list(a.ks), n=a.n,
               filter_size=a.filter_size, score_region=a.score_region, augment=a.augment, crop=a.crop, texture=a.texture, val_fraction=a.val_fraction, patience=a.patience,
               seeds=list(a.seeds))
    print("config: " + " ".join(f"{k}={v}" for k, v in cfg.items()))
    print("command: python benchmarks/riad_quality.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"params: {count_params(unet_from_preset(a.preset, 1)):,} | score region {a.score_region} | full = image AUROC of the whole-map max (diagnosis), "
          f"bord% = normal images whose map max lies in the border of filter_size//2 px (at most size/4)")
    header = "seed filt " + " ".join(f"{SHORT.get(c, c):>8}" for c in COLS) + "  best_ep  val_loss  gap"
    print(header)
    warm = unet_from_preset(a.preset, 1)   # warm-up (kernel selection, allocator) so seed 0's training time is not inflated
    riad_step(warm, torch.rand(2, 1, a.size, a.size), tuple(a.ks), a.n, generator=make_generator(0)).backward()
    rows = {f: [] for f in a.filter_size}
    for seed in a.seeds:
        model, test_ds, info = train_seed(a, seed)
        for f in a.filter_size:
            r = {**info, **evaluate_seed(a, seed, model, test_ds, f)}; rows[f].append(r)
            print(f"{seed:>4} {f:>4} " + " ".join(f"{fmt(c, r[c]):>8}" for c in COLS) +
                  f"  {r['best_epoch']:>7}  {r['best_val']:.4f}  {r['_gap']:.2f}", flush=True)
            if a.verbose:
                for k, v in r["_scores"].items(): print(f"          {k:>7}: " + " ".join(f"{x:.3f}" for x in v))
    table = {}
    for f, rs in rows.items():
        def ms(c):
            v = [r[c] for r in rs]
            return f"{fmt(c, statistics.mean(v))}+-{fmt(c, statistics.stdev(v)) if len(v) > 1 else '0'}"
        print(f"mean +- std over seeds {','.join(map(str, a.seeds))}, filter {f}: " + "  ".join(f"{SHORT.get(c, c)} {ms(c)}" for c in COLS))
        table[str(f)] = summarize(f"filter {f}", [{k: v for k, v in r.items() if not k.startswith("_")} for r in rs], COLS)
    tag = (('' if a.score_region == 'valid' else '_' + a.score_region) + ('' if a.precision == 'fp32' else '_' + a.precision)
           + ('' if a.augment == 'none' else '_' + a.augment.replace('+', '_')))
    out = Path(a.out or Path(__file__).parent / "results" / f"riad_quality_{a.size}px{tag}.json")
    write_results(out, "riad_quality.py", argv, machine=machine, config=cfg, filters=table)

if __name__ == "__main__":
    main()
