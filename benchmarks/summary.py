"""What the comparison scripts share: the one training and evaluation runner (a protocol record in, a result row out), mean +- std over seeds, the markdown table,
the result file, the merge of result files that ran other seeds of the same comparison."""
import json, platform, re, statistics, sys, tempfile, time
from pathlib import Path
import torch
from inpaint_tutorial import pipeline
from inpaint_tutorial.training import TrainSettings, train_settings

def machine_line(device:str="cpu", extra:str="") -> str:
    "The machine a result file was measured on: OS build, architecture, python, torch, torch threads, device (and `extra`, e.g. the CPU capability)."
    return (f"{platform.platform()} | {platform.machine()} | python {platform.python_version()} | torch {torch.__version__} "
            f"| torch threads {torch.get_num_threads()} | device {device}" + (f" | {extra}" if extra else ""))

def ball_screw_spec(path) -> str:
    "The dataset spec of the ball-screw photographs: `path`, or ../shared/data/ball_screw beside the repository."
    root = Path(path) if path else Path(__file__).resolve().parents[2] / "shared" / "data" / "ball_screw"
    if not root.is_dir(): sys.exit(f"ball-screw data not found at {root}: pass --ball-screw PATH")
    return f"mvtec:{root}"

def protocol(a, **fixed) -> TrainSettings:
    """A comparison's training protocol from its command line: --epochs (with --budget, a ceiling), --budget (minutes),
    --bs, --lr, --patience, --augment and --precision where the script has them (fp32: contiguous layout; bf16: with
    channels-last), over `fixed`, what the script fixes for every run (e.g. val_fraction=0.2)."""
    given = dict(n_epochs=a.epochs, max_minutes=getattr(a, "budget", None), bs=getattr(a, "bs", None), lr=getattr(a, "lr", None),
                 patience=getattr(a, "patience", None), augment=getattr(a, "augment", None))
    if getattr(a, "precision", None) in ("fp32", "bf16"):
        given.update(precision=a.precision, channels_last="on" if a.precision == "bf16" else "off")
    return train_settings(fixed, **{k: v for k, v in given.items() if v is not None})

def train_and_score(method, settings, spec:str, size, run:TrainSettings, device:str="cpu", score:bool=True):
    """The one runner of the benchmarks: `pipeline.train` with the protocol `run` (epochs or a budget, batch size, lr,
    patience, augment, precision, seed; the best-validation weights kept), then with `score` `pipeline.evaluate` on the
    whole test split. Returns the result row (training figures, and the scores with `score`), the training result and the
    test dataset (for scripts that score in their own way with `pipeline.detect_dataset` or `detection_batches`)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = pipeline.train(method, settings, spec, size=size, out=Path(tmp) / "run", run=run, device=device, evaluate_test=False, progress=False)
        train_min = (time.perf_counter() - t0) / 60
        test_ds = pipeline.open_dataset(spec, "test", size, seed=run.seed, channels=r["channels"])
        res = pipeline.evaluate(r["method"], r["settings"], r["model"], test_ds, Path(tmp) / "eval", device=device, seed=run.seed,
                                calibration=r.get("calibration")) if score else None
    hist = r["history"]   # the last stage's, the earlier ones under "stages"; closed-form stages have no epochs
    stage_epochs = {k: len(v["epochs"]) for k, v in hist.get("stages", {}).items()} | {"last": len(hist["epochs"])}
    row = dict(train_min=train_min, epochs=sum(stage_epochs.values()), stage_epochs=stage_epochs, best_epoch=hist["best_epoch"],
               stopped_by_budget=hist.get("stopped_by_budget"), n_train=r["n_train"], seed=run.seed, settings=r["settings"].to_dict())
    if res is not None:
        row = dict(row, **metric_fields(res))
        if c := res.get("calibrated"): row.update(cal_fpr=c["fpr"], cal_recall=c["recall"], cal_threshold=c["threshold"])   # the validation threshold's verdicts
    return row, r, test_ds

def metric_fields(res:dict) -> dict:
    "A row's scores from `pipeline.evaluate`'s metrics: image AUROC, F1-max and the flag-all F1, pixel AUROC and AUPRO where there are masks, ms per image."
    p = res["n_anomalous"] / res["n_test"]
    out = dict(image_auroc=res["image_auroc"], f1_max=res["f1_max"], f1_trivial=2 * p / (1 + p), infer_ms=1000 * res["seconds_per_image"], n_test=res["n_test"])
    if res.get("pixel_auroc") is not None: out.update(pixel_auroc=res["pixel_auroc"], aupro=res["aupro"])
    return out

def rescored(method, r:dict, test_ds, row:dict, overrides:dict, seed:int, device:str="cpu") -> dict:
    """The model `train_and_score` trained, evaluated again with other detection settings (e.g. `score="perceptual"`): a row
    like `row` (same training figures), with the new scores, inference time and settings."""
    s = r["settings"].from_dict({**r["settings"].to_dict(), **overrides})
    with tempfile.TemporaryDirectory() as tmp:
        res = pipeline.evaluate(method, s, r["model"], test_ds, Path(tmp) / "eval", device=device, seed=seed)
    kept = {k: v for k, v in row.items() if not k.startswith("cal_")}   # the calibration was of the trained score, not of this one
    return dict(kept, **metric_fields(res), settings=s.to_dict(), rescored=overrides)

def ensembled(ens, rows:list, test_ds, seed:int, device:str="cpu") -> dict:
    """A `pipeline.ensemble` of trained runs evaluated on `test_ds`, `rows` its members' rows: a row with its scores, the
    members' training minutes and epochs added up, and the members' settings; no validation threshold (none was calibrated)."""
    with tempfile.TemporaryDirectory() as tmp:
        res = pipeline.evaluate(ens.method, ens.settings, ens.model, test_ds, Path(tmp) / "eval", device=device, seed=seed)
    return dict(metric_fields(res), train_min=sum(r["train_min"] for r in rows), epochs=sum(r["epochs"] for r in rows), seed=seed,
                settings=ens.settings.to_dict(), members=[r["settings"] for r in rows])

def method_and_seed_lists(p, a, variants) -> None:
    "Turn the comma-separated --methods and --seeds of `a` into lists, refusing a method that is not in `variants`."
    a.methods = [m for m in a.methods.split(",") if m]
    bad = [m for m in a.methods if m not in variants]
    if bad: p.error(f"unknown methods {bad}: choose from {list(variants)}")
    a.seeds = [int(s) for s in a.seeds.split(",")]

def summarize(method:str, runs:list, keys) -> dict:
    "One table row: the mean and std over the runs (seeds) of every key the runs have."
    keys = [k for k in keys if k in runs[0]]
    return dict(method=method, mean={k: statistics.fmean(r[k] for r in runs) for k in keys},
                std={k: statistics.stdev([r[k] for r in runs]) if len(runs) > 1 else 0.0 for k in keys}, runs=runs)

def summarized_rows(runs:dict, keys) -> list:
    "Method -> its runs (a refused run is `dict(error=...)`) as table rows: the summary of the runs that ran, the refusals kept."
    rows = []
    for method, rs in runs.items():
        ok = [r for r in rs if "error" not in r]
        rows.append(summarize(method, ok, keys) | dict(refused=[r["error"] for r in rs if "error" in r]) if ok
                    else dict(method=method, error=rs[0]["error"], runs=rs))
    return rows

def print_table(rows:list, keys) -> None:
    print("\n| method | " + " | ".join(keys) + " |\n" + "|---" * (len(keys) + 1) + "|")
    for r in rows:
        if "error" in r: print(f"| {r['method']} | refused: {r['error']} |"); continue
        print(f"| {r['method']} | " + " | ".join(f"{r['mean'][k]:.3f} +- {r['std'][k]:.3f}" if k in r["mean"] else "n/a" for k in keys) + " |")

def markdown_table(res:dict, labels:dict|None=None) -> str:
    """A result file's rows as the markdown table BENCHMARKS.md shows: mean +- std over the seeds (the value alone for one
    seed); `labels` maps a method's name to the name the table shows."""
    labels = labels or {}
    cols = [("image_auroc", "image AUROC", 3), ("pixel_auroc", "pixel AUROC", 3), ("aupro", "AUPRO", 3), ("f1_max", "F1-max", 3),
            ("f1_trivial", "F1 flag-all", 3), ("cal_fpr", "FPR at the validation threshold", 3), ("cal_recall", "recall at it", 3),
            ("train_min", "training min", 1), ("epochs", "epochs", 0), ("infer_ms", "ms / test image", 0)]
    rows = [r for r in res["rows"] if "mean" in r]
    cols = [c for c in cols if any(c[0] in r["mean"] for r in rows)]
    def cell(r, k, d):
        if k not in r["mean"]: return "n/a"
        one = len(r["runs"]) == 1 or k == "f1_trivial"
        return f"{r['mean'][k]:.{d}f}" + ("" if one else f" +- {r['std'][k]:.{d}f}")
    out = ["| method | seeds | " + " | ".join(c[1] for c in cols) + " |", "|---" * (len(cols) + 2) + "|"]
    out += [f"| {labels.get(r['method'], r['method'])} | {len(r['runs'])} | " + " | ".join(cell(r, k, d) for k, _, d in cols) + " |" for r in rows]
    out += [f"| {labels.get(r['method'], r['method'])} | refused: {r['error']} |" for r in res["rows"] if "error" in r]
    return "\n".join(out)

def write_results(out:Path, script:str, argv, **content) -> None:
    "Write the result file with the command that made it."
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(**content, command=f"python benchmarks/{script} " + " ".join(argv or sys.argv[1:])), indent=2))
    print(f"results written to {out}")

SEEDS = re.compile(r", seeds ([0-9,]+)(?=,|$)")   # in a result file's title: ", seeds 0,1,2" then a comma or the end

def file_seeds(res:dict, path) -> list[int]:
    "The seeds a result file ran: its `seeds` field, or for files written before it had one, the seeds in its config title."
    if "seeds" in res:
        if not (isinstance(res["seeds"], list) and all(isinstance(v, int) for v in res["seeds"])):
            raise ValueError(f"{path}: its seeds field must be a list of ints, got {res['seeds']!r}")
        return list(res["seeds"])
    m = SEEDS.search(res["title"])
    if not m: raise ValueError(f"{path}: no seeds in its title {res['title']!r}")
    return [int(v) for v in m.group(1).split(",")]

def machine_kind(machine:str) -> str:
    "A result file's machine without its OS build (`platform.platform()`, the first field): architecture, python, torch, threads, device."
    return machine.split(" | ", 1)[-1]

def merge_parts(paths:list, out:Path, argv, script:str, keys, same=(), only:list|None=None) -> dict:
    """One result file from parts of the same comparison: parts that ran the same methods with different seeds (the runs of
    every method in seed order, re-summarised over `keys`), or parts that ran the same seeds with different methods (their
    rows side by side). The parts must agree on their title (but for the seeds, when they split the seeds), kind of machine
    and the fields `same` that they have; a part written while its run was going on (`complete: false`) is refused (files
    without the field were written by scripts that save only at the end). Nothing is written on refusal. The seed-0 parts'
    `<stem>_maps.npz` files, if any, are combined beside `out`. `only`: merge just these variants' rows (and their rescored
    rows, VARIANT@SCORE), which every part must have."""
    parts = [(Path(p), json.loads(Path(p).read_text())) for p in paths]
    if only:
        for p, r in parts:
            have = {x["method"].partition("@")[0] for x in r["rows"]}
            if missing := [m for m in only if m not in have]: raise ValueError(f"{p} has no rows of {missing}")
            r["rows"] = [x for x in r["rows"] if x["method"].partition("@")[0] in only]
    seeds = [file_seeds(r, p) for p, r in parts]
    methods = [[x["method"] for x in r["rows"]] for _, r in parts]
    strip = lambda r: SEEDS.sub("", r["title"])
    p0, r0 = parts[0]
    by_method = len({m for ms in methods for m in ms}) == sum(map(len, methods)) and all(ss == seeds[0] for ss in seeds)
    for (p, r), ms in zip(parts, methods):
        if not r.get("complete", True): raise ValueError(f"{p} is an interrupted comparison (complete: false): rerun it before merging")
        for k in same:
            if r.get(k) != r0.get(k): raise ValueError(f"{p} differs from {p0} in {k}: {r.get(k)!r} vs {r0.get(k)!r}")
        if machine_kind(r["machine"]) != machine_kind(r0["machine"]):
            raise ValueError(f"{p} ran on another kind of machine than {p0}: {r['machine']!r} vs {r0['machine']!r}")
        if strip(r) != strip(r0): raise ValueError(f"{p} is another comparison than {p0}: {r['title']!r} vs {r0['title']!r}")
        if not by_method and ms != methods[0]:
            raise ValueError(f"{p} compares other methods than {p0}: {ms} vs {methods[0]} (parts split either the seeds or the methods)")
    if by_method:
        runs = {row["method"]: [run | dict(seed=s) for s, run in zip(seeds[0], row["runs"])] for _, r in parts for row in r["rows"]}
        flat = seeds[0]
    else:
        flat = [s for ss in seeds for s in ss]
        if len(set(flat)) < len(flat): raise ValueError(f"the files run seed(s) {sorted({s for s in flat if flat.count(s) > 1})} more than once")
        runs = {row["method"]: [run | dict(seed=s) for s, run in sorted(((s, run) for (_, r), ss in zip(parts, seeds)
                                                                         for s, run in zip(ss, r["rows"][i]["runs"])), key=lambda x: x[0])]
                for i, row in enumerate(r0["rows"])}
    title = SEEDS.sub(f", seeds {','.join(map(str, sorted(flat)))}", r0["title"])
    commands = [c for _, r in parts for c in r.get("parts", [r["command"]])]
    maps = [p.with_name(p.stem + "_maps.npz") for (p, _), ss in zip(parts, seeds) if 0 in ss]
    maps = [m for m in maps if m.exists()]
    if maps: _combine_maps(maps, out.with_name(out.stem + "_maps.npz"))
    machines = list(dict.fromkeys(m for _, r in parts for m in r.get("machines", [r["machine"]])))
    res = dict(title=title, seeds=sorted(flat), machine=r0["machine"], machines=machines, **{k: r0[k] for k in same if k in r0}, complete=True,
               rows=summarized_rows(runs, keys), parts=commands)
    write_results(out, script, argv, **res)
    return res

def _combine_maps(paths:list, dst:Path) -> None:
    "One showcase file from the seed-0 showcase files of parts (the same images; every method's maps and scores)."
    import numpy as np
    files = [dict(np.load(p)) for p in paths]
    out = dict(files[0])
    for f in files[1:]:
        if not np.array_equal(f["images"], out["images"]): raise ValueError(f"the showcase files {paths} show different images")
        out.update({k: v for k, v in f.items() if k.split("_", 1)[0] in ("map", "range", "score")})
        out["methods"] = np.array(list(dict.fromkeys([*out["methods"].tolist(), *f["methods"].tolist()])))
    if len(paths) == 1 and paths[0].resolve() == dst.resolve(): return
    np.savez_compressed(dst, **out)
