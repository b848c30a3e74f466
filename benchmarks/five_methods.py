"""The five methods side by side (RIAD with the U-Net, RIAD with the MISF backbone, IPAD, CSA, I3AD), the two simple
baselines and the two pretrained-feature methods (PatchCore, the reference; inpainting in feature space), under one protocol:
same data, image size, training budget, batch size, learning rate and seeds. Ablation variants of the feature methods
(random backbone weights, a feature autoencoder, one tap, one cell size, ...) are named in benchmarks/variants.py.

For every method and seed: `inpaint_tutorial.pipeline.train` (what `inpaint-tutorial train --method NAME` runs) with the
method's default settings (tiny presets) and `max_minutes=--budget`: every method gets the same wall-clock training
budget, split over its stages as `fit_method` does; `--epochs` is only a ceiling. 20% of the normal training images are
held out for validation and the best-validation weights kept. Then `pipeline.evaluate` on the whole test split. Reported
per run and as mean +- std over the seeds: image AUROC, pixel AUROC and AUPRO (datasets with masks), F1-max next to the
F1 of the trivial detector that flags every test image, the false-positive rate on the normal test images and the recall
on the defective ones of the threshold calibrated on the normal validation images alone (the run's `fpr`, 1% by default:
what a user's verdicts would be), training minutes, epochs (over all stages), inference milliseconds per test image.

For seed 0 the script also scores the same few test images with every method (per defect kind the test image with
the largest defect, and the first normal one; on ball-screw, one kind, its four largest defects) and keeps them, with
their maps, in benchmarks/results/five_<dataset>_maps.npz, which `nbs/tutorials/five_methods.ipynb` shows side by side.

Datasets:
    synthetic    SyntheticDefects (brick), 128 px grayscale: 64 training crops, 48 test images
    objects      SyntheticObjects (a gravel-textured part on a plain background, defects on the part only), 128 px
                 grayscale: 64 training images, 48 test images; with --methods ipad-auto,ipad-full it measures IPAD's
                 foreground rule (pseudo-anomalies on the binarised part vs anywhere)
    elpv         the ELPV solar cells, the full protocol of `01a_builtin_data` (1206 normal training cells, 1123 test cells), 128 px
    ball_screw   ../shared/data/ball_screw (or --ball-screw PATH), MVTec AD layout, 1130x460 photographs, at 320x128
                 (WxH): the comparison's 128 px as the height, the width keeping the photographs' aspect ratio, since a
                 square 128x128 would shrink the pitting to 2-3 pixels

    python benchmarks/five_methods.py --dataset synthetic                    # 7 methods x 3 seeds, 3 min of training each
    python benchmarks/five_methods.py --dataset ball_screw --threads 1
    python benchmarks/five_methods.py --dataset elpv --methods riad-unet,csa --seeds 0
    python benchmarks/five_methods.py --dataset objects --methods ipad-auto,ipad-full,riad-unet,pixelstats
    python benchmarks/five_methods.py --table benchmarks/results/five_synthetic.json   # the markdown table of a result file

A comparison that takes hours per seed (ELPV, ball-screw) can run its seeds as separate invocations, one per core, each
with its own --out, and then be merged into one result file (same dataset, size, budget, methods, kind of machine; distinct
seeds; the showcase maps come from the part that ran seed 0). Parts may come from hosts of the same kind whose OS builds
differ (the first field of `machine`); the merged file lists every host in `machines`:

    python benchmarks/five_methods.py --dataset elpv --budget 6 --threads 1 --seeds 1 --out /tmp/five_elpv_s1.json
    python benchmarks/five_methods.py --merge benchmarks/results/five_elpv.json,/tmp/five_elpv_s1.json --out benchmarks/results/five_elpv.json

Parts may instead split the methods: the same seeds, disjoint methods (e.g. one core trains riad-unet,i3ad, the other
csa,patchcore); --merge then puts their rows side by side and combines their showcase maps.

--rescore evaluates every trained model again with another `score` setting where its method offers one, as extra rows
VARIANT@SCORE (no second training): e.g. --rescore perceptual,perceptual:random,msgms scores RIAD's and I3AD's
inpaintings by the multi-level ImageNet feature distance (and by the same network with random weights), and CSA's by MSGMS.
An item FIELD=VALUE sets any other detection setting the method has, as the row VARIANT@FIELD=VALUE: e.g. --rescore top_k=10
scores PatchCore's images by the mean of their 10 largest patch distances, with the same memory bank; items joined by +
set several at once (normalize=position+top_k=10).

--ensemble ROW/ROW[/ROW] also scores, for every seed, the mean of these rows' maps (`pipeline.ensemble`: rows whose maps are
standardised by grid position, e.g. patchcore-lite2@normalize=position/featinpaint-var-pos-lite2), as the row ROW/ROW,
with the members' training minutes and epochs added up; several ensembles are separated by commas.
"""
import argparse, json, sys
from dataclasses import fields
from pathlib import Path
import numpy as np, torch
from inpaint_tutorial import pipeline
from inpaint_tutorial.cli import image_size
from inpaint_tutorial.training import AUGMENTS
from inpaint_tutorial.data import make_generator
from inpaint_tutorial.method import get_method, parse_setting
from summary import (method_and_seed_lists, summarized_rows, print_table, write_results, machine_line, ball_screw_spec,
                     protocol, train_and_score, rescored, ensembled, merge_parts, markdown_table as summary_table)
from variants import VARIANTS, DEFAULT_METHODS, LABELS

KEYS = ("image_auroc", "pixel_auroc", "aupro", "f1_max", "f1_trivial", "cal_fpr", "cal_recall", "train_min", "epochs", "infer_ms")
RESULTS = Path(__file__).parent / "results"

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--dataset", default="synthetic", choices=["synthetic", "objects", "elpv", "ball_screw"])
    p.add_argument("--ball-screw", default=None, help="path of the ball-screw category folder")
    p.add_argument("--methods", default=",".join(DEFAULT_METHODS), help=f"comma separated, from {', '.join(VARIANTS)} (default: {','.join(DEFAULT_METHODS)})")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--size", default=None, help="N or WIDTHxHEIGHT (default 128, ball_screw 320x128)")
    p.add_argument("--budget", type=float, default=3.0, help="training minutes per run, the same for every method")
    p.add_argument("--epochs", type=int, default=10_000, help="ceiling on the epochs (the budget is the real limit)")
    p.add_argument("--patience", type=int, default=20); p.add_argument("--bs", type=int, default=8)
    p.add_argument("--augment", choices=AUGMENTS, default="none", help="training augmentation (fit's AUGMENTS); none by default")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--rescore", default="", help="comma-separated SCORE, SCORE:WEIGHTS or FIELD=VALUE: evaluate every trained model again with its "
                   "`score` setting set to SCORE (and `score_weights` to WEIGHTS), or its setting FIELD set to VALUE, where the method offers it, "
                   "as the row VARIANT@ITEM; e.g. perceptual,perceptual:random,msgms or top_k=10")
    p.add_argument("--ensemble", default="", help="comma-separated ROW/ROW[/ROW]: also score the mean of these rows' maps (rows of "
                   "--methods or their --rescore rows, standardised by grid position), as the row ROW/ROW")
    p.add_argument("--out", default=None, help="results file (default benchmarks/results/five_<dataset>.json)")
    p.add_argument("--table", default=None, metavar="RESULTS", help="print the markdown table of a result file and exit")
    p.add_argument("--merge", default=None, metavar="RESULTS,RESULTS", help="merge result files of the same comparison run with other seeds into --out and exit")
    p.add_argument("--merge-methods", default=None, metavar="VARIANT,VARIANT", help="with --merge: merge only these variants' rows "
                   "(and their --rescore rows), e.g. when one part also ran a method the others did not")
    a = p.parse_args(argv)
    if a.merge and not a.out: p.error("--merge needs --out")
    method_and_seed_lists(p, a, VARIANTS)
    a.ensemble = [spec.split("/") for spec in a.ensemble.split(",") if spec]
    for members in a.ensemble:
        if len(members) < 2: p.error(f"--ensemble {'/'.join(members)}: an ensemble needs at least two rows, ROW/ROW")
        if bad := [m for m in members if m.partition("@")[0] not in a.methods]: p.error(f"--ensemble: rows {bad} are not of --methods {a.methods}")
    return a

def spec_and_size(a):
    if a.dataset == "ball_screw": return ball_screw_spec(a.ball_screw), image_size(a.size or "320x128")
    return a.dataset, image_size(a.size or "128")

def showcase(test_ds, n_defective:int=4) -> list[int]:
    "Indices of the images every method scores for the side-by-side figure: per defect kind the one with the largest defect (one kind: its n largest), and the first normal image."
    info = [(s.defect, int(s.label), float(s.mask.sum()) if s.mask is not None else 0.0) for s in (test_ds[i] for i in range(len(test_ds)))]
    kinds = sorted({k for k, label, _ in info if label})
    largest = lambda kind, n: sorted((i for i, (k, label, _) in enumerate(info) if k == kind and label), key=lambda i: -info[i][2])[:n]
    picks = largest(kinds[0], n_defective) if len(kinds) == 1 else [largest(k, 1)[0] for k in kinds]
    return picks + [next(i for i, (k, _, _) in enumerate(info) if k == "good")]

def rescorings(method, settings, items:list) -> dict:
    "The --rescore items this method offers: row suffix -> settings overrides (a score it has and is not trained with)."
    fs = {f.name: f for f in fields(method.Settings)}
    out = {}
    for item in items:
        if "=" in item:   # FIELD=VALUE[+FIELD=VALUE...]: settings the method has, parsed and checked as the command line parses them
            pairs = [part.partition("=")[::2] for part in item.split("+")]
            if all(name in fs for name, _ in pairs):
                over = {name: parse_setting(method.Settings, name, text) for name, text in pairs}
                if any(v != getattr(settings, k) for k, v in over.items()): out[item] = over
            continue
        score, _, weights = item.partition(":")
        if "score" not in fs or score not in (fs["score"].metadata.get("choices") or ()) or (score == settings.score and not weights): continue
        if weights and "score_weights" not in fs: continue
        out[item] = dict(score=score) | (dict(score_weights=weights) if weights else {})
    return out

def run_one(a, variant:str, seed:int, spec:str, size, picks, keep=()) -> tuple[dict, dict, dict, object]:
    """Train and evaluate one variant for one seed (and evaluate it again per --rescore item): rows and showcase maps by row
    name, the rows named in `keep` as `pipeline.Loaded` (for --ensemble), and the test split."""
    name, extra = VARIANTS[variant]
    method = get_method(name)
    row, r, test_ds = train_and_score(method, method.Settings(**extra), spec, size, protocol(a, val_fraction=0.2, seed=seed))
    rows = {variant: row}
    setups = {variant: r["settings"]}
    for item, over in rescorings(method, r["settings"], [x for x in a.rescore.split(",") if x]).items():
        rows[f"{variant}@{item}"] = rescored(method, r, test_ds, row, over, seed)
        setups[f"{variant}@{item}"] = r["settings"].from_dict({**r["settings"].to_dict(), **over})
    config = dict(size=size, channels=r["channels"], dataset=spec)
    kept = {k: pipeline.Loaded(method, s, r["model"], config) for k, s in setups.items() if k in keep}
    shown = showcase_maps(test_ds, picks, {k: (method, s, r["model"]) for k, s in setups.items()}, seed) if picks is not None else {}
    return rows, shown, kept, test_ds

def showcase_maps(test_ds, picks, detectors:dict, seed:int) -> dict:
    "Row name -> the maps and scores of the showcase images, for each (method, settings, model) of `detectors`."
    images, shown = torch.stack([test_ds[i].image for i in picks]), {}
    for k, (method, s, model) in detectors.items():
        with torch.no_grad(): det = method.detect(model.eval(), images, s, generator=make_generator(seed))
        shown[k] = dict(maps=det.anomaly_map.float().numpy(), scores=det.score.float().numpy())
    return shown

def save_showcase(path:Path, test_ds, picks, shown:dict) -> None:
    "The showcase images, masks and every method's maps (uint8, scaled per method over the images shown) and scores."
    s = [test_ds[i] for i in picks]
    out = dict(images=np.stack([(x.image.numpy() * 255).round().clip(0, 255).astype(np.uint8) for x in s]),
               masks=np.stack([(x.mask.numpy() > 0.5) if x.mask is not None else np.zeros(x.image.shape[1:], bool) for x in s]),
               labels=np.array([int(x.label) for x in s]), defects=np.array([str(x.defect) for x in s]), methods=np.array(list(shown)))
    for m, d in shown.items():
        lo, hi = float(d["maps"].min()), float(d["maps"].max())
        out[f"map_{m}"] = ((d["maps"] - lo) / max(hi - lo, 1e-12) * 255).round().astype(np.uint8)
        out[f"range_{m}"] = np.array([lo, hi]); out[f"score_{m}"] = d["scores"]
    np.savez_compressed(path, **out)
    print(f"showcase written to {path}")

def label(row:str, settings:dict|None=None) -> str:
    """The name a table shows for a variant, or for a variant rescored (VARIANT@SCORE[:WEIGHTS]); a method with a frozen
    feature network in its settings (CSA) gets the network and its weights as the run recorded them."""
    if ("@" in row or "/" in row) and row in LABELS: return LABELS[row]   # a rescored row or an ensemble with a name of its own
    if "/" in row: return "mean of the maps of " + " and ".join(label(m) for m in row.split("/"))
    variant, _, item = row.partition("@")
    name = LABELS.get(variant, variant)
    if settings and "features" in settings and "feature_weights" in settings:
        name += f" ({settings['feature_weights']} {settings['features']})"
    if not item: return name
    if "=" in item: return f"{name}, " + ", ".join(part.replace("=", " ") for part in item.split("+"))
    score, _, weights = item.partition(":")
    return f"{name}, scored by {score}" + (f" ({weights} weights)" if weights else "")

def markdown_table(res:dict) -> str:
    "The result file's rows as the markdown table BENCHMARKS.md shows (see `summary.markdown_table`)."
    return summary_table(res, {r["method"]: label(r["method"], (r.get("runs") or [{}])[0].get("settings")) for r in res["rows"]})

def merge(paths:list, out:Path, argv, only:list|None=None) -> dict:
    "One result file from parts of the same comparison run with different seeds or methods (see `summary.merge_parts`)."
    return merge_parts(paths, out, argv, "five_methods.py", KEYS, same=("size", "budget_min", "picks"), only=only)

def main(argv=None):
    a = parse_args(argv)
    if a.table:
        print(markdown_table(json.loads(Path(a.table).read_text()))); return
    if a.merge:
        try: res = merge(a.merge.split(","), Path(a.out), argv, a.merge_methods.split(",") if a.merge_methods else None)
        except (ValueError, OSError) as e: sys.exit(f"cannot merge: {e}")
        print(markdown_table(res)); return
    if a.threads: torch.set_num_threads(a.threads)
    spec, size = spec_and_size(a)
    h, w = (size, size) if isinstance(size, int) else size
    machine = machine_line("cpu")
    title = (f"{a.dataset}: {w}x{h} px (WxH), {a.budget:g} min of training per run, batch {a.bs}, lr {a.lr}, patience {a.patience}, "
             f"seeds {','.join(map(str, a.seeds))}, default settings (tiny presets)" + (f", augment {a.augment}" if a.augment != "none" else ""))
    print("machine:", machine); print("config:", title); print("command: python benchmarks/five_methods.py", *(argv or sys.argv[1:]), flush=True)
    test0 = pipeline.open_dataset(spec, "test", size, seed=0)
    picks = showcase(test0)
    out = Path(a.out or RESULTS / f"five_{a.dataset}.json")
    runs, shown = {}, {}
    rows = lambda: summarized_rows(runs, KEYS)
    def save(complete:bool):   # after every run, so that an interrupted comparison keeps what it measured
        write_results(out, "five_methods.py", argv, title=title, seeds=list(a.seeds), machine=machine, size=[h, w], budget_min=a.budget, picks=picks,
                      complete=complete, rows=rows())
        if shown: save_showcase(out.with_name(out.stem + "_maps.npz"), test0, picks, shown)
    keep = {m for members in a.ensemble for m in members}
    kept, tests = {}, {}   # (row, seed) -> pipeline.Loaded of the rows --ensemble averages; seed -> test split
    def record(name, seed, r):
        runs.setdefault(name, []).append(r)
        if "error" not in r: print(f"{name:10s} seed {seed}: " + "  ".join(f"{k} {r[k]:.4f}" for k in KEYS if k in r), flush=True)
    for variant in a.methods:
        runs[variant] = []
        for seed in a.seeds:
            try: rs, maps, loaded, tests[seed] = run_one(a, variant, seed, spec, size, picks if seed == 0 else None, keep)
            except ValueError as e:   # e.g. a budget too short for one epoch: recorded, not hidden
                print(f"{variant:10s} seed {seed}: refused: {e}", flush=True); runs[variant].append(dict(error=str(e))); continue
            for name, r in rs.items(): record(name, seed, r)
            kept |= {(k, seed): v for k, v in loaded.items()}
            shown |= maps
            save(complete=False)
    for members in a.ensemble:
        name = "/".join(members)
        for seed in a.seeds:
            if missing := [m for m in members if (m, seed) not in kept]:
                record(name, seed, dict(error=f"seed {seed}: no row {missing} to average (refused, or not a row of this run)")); continue
            try: ens = pipeline.ensemble([kept[m, seed] for m in members])
            except ValueError as e: print(f"{name} seed {seed}: refused: {e}", flush=True); record(name, seed, dict(error=str(e))); continue
            record(name, seed, ensembled(ens, [next(r for r in runs[m] if r.get("seed") == seed) for m in members], tests[seed], seed))
            if seed == 0 and picks is not None: shown |= showcase_maps(tests[seed], picks, {name: (ens.method, ens.settings, ens.model)}, seed)
            save(complete=False)
    print_table(rows(), KEYS)
    save(complete=True)

if __name__ == "__main__":
    main()
