"""What the comparison scripts share: one budgeted training and evaluation run, mean +- std over seeds, the markdown table,
the result file."""
import json, platform, statistics, sys, tempfile, time
from pathlib import Path
import torch
from inpaint_tutorial import pipeline

def machine_line(device:str="cpu") -> str:
    "The machine a result file was measured on: OS build, architecture, python, torch, torch threads, device."
    return (f"{platform.platform()} | {platform.machine()} | python {platform.python_version()} | torch {torch.__version__} "
            f"| torch threads {torch.get_num_threads()} | device {device}")

def ball_screw_spec(path) -> str:
    "The dataset spec of the ball-screw photographs: `path`, or ../shared/data/ball_screw beside the repository."
    root = Path(path) if path else Path(__file__).resolve().parents[2] / "shared" / "data" / "ball_screw"
    if not root.is_dir(): sys.exit(f"ball-screw data not found at {root}: pass --ball-screw PATH")
    return f"mvtec:{root}"

def train_and_score(method, settings, spec:str, size, a, seed:int, device:str="cpu"):
    """`pipeline.train` within `a.budget` minutes (20% of the normal images validate, the best weights kept; `a.augment`, if
    given, augments the training batches), then
    `pipeline.evaluate` on the whole test split: the result row, the training result and the test dataset."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = pipeline.train(method, settings, spec, size=size, out=Path(tmp) / "run", n_epochs=a.epochs, bs=a.bs, lr=a.lr, seed=seed,
                           device=device, val_fraction=0.2, patience=a.patience, max_minutes=a.budget, evaluate_test=False, progress=False,
                           augment=getattr(a, "augment", "none"))
        train_min = (time.perf_counter() - t0) / 60
        test_ds = pipeline.open_dataset(spec, "test", size, seed=seed, channels=r["channels"])
        res = pipeline.evaluate(method, r["settings"], r["model"], test_ds, Path(tmp) / "eval", device=device, seed=seed)
    p = res["n_anomalous"] / res["n_test"]
    hist = r["history"]   # the last stage's, the earlier ones under "stages"; closed-form stages have no epochs
    stage_epochs = {k: len(v["epochs"]) for k, v in hist.get("stages", {}).items()} | {"last": len(hist["epochs"])}
    row = dict(image_auroc=res["image_auroc"], f1_max=res["f1_max"], f1_trivial=2 * p / (1 + p), train_min=train_min,
               epochs=sum(stage_epochs.values()), stage_epochs=stage_epochs, best_epoch=hist["best_epoch"],
               stopped_by_budget=hist.get("stopped_by_budget"), infer_ms=1000 * res["seconds_per_image"],
               n_train=r["n_train"], n_test=res["n_test"], seed=seed, settings=r["settings"].to_dict())
    if res.get("pixel_auroc") is not None: row.update(pixel_auroc=res["pixel_auroc"], aupro=res["aupro"])
    return row, r, test_ds

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

def write_results(out:Path, script:str, argv, **content) -> None:
    "Write the result file with the command that made it."
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(**content, command=f"python benchmarks/{script} " + " ".join(argv or sys.argv[1:])), indent=2))
    print(f"results written to {out}")
