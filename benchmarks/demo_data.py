"""What training buys on the demo's data: the demo's configuration after 8 optimizer steps and after its 30 epochs,
on the built-in dataset's default defect kinds and on the demo's set (`HARD_DEFECTS`, where `patch` is toned down to
`camouflage`), side by side.

Runs the product's own command in a subprocess, as a user would, `inpaint-tutorial train --dataset SPEC --size 128
--epochs 30 --patience 1000 --seed S` (what `inpaint-tutorial demo` runs, with the dataset of one's choice) and, for the
8-step model, the same with `--epochs 2 --steps-per-epoch 4`; reads the run's metrics.json and scores.csv (the image
AUROC of each defect kind against the normal images) and its wall-clock time. It calls no trainer itself, so it is
not another train-and-evaluate runner: it measures the command line's job. Every run is added to (or replaces its
dataset, steps and seed in) the result file, so seeds and datasets can run as separate invocations:

    python benchmarks/demo_data.py --seeds 0,1,2 --runs 8-step,trained                     # the demo's data
    python benchmarks/demo_data.py --seeds 0,1,2 --runs 8-step --dataset synthetic:n_test=240   # the default kinds
"""
import argparse, csv, json, os, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from sklearn.metrics import roc_auc_score
from summary import machine_line
from inpaint_tutorial.cli import DEMO_DATASET, DEMO_RUN
from inpaint_tutorial.pipeline import open_dataset

RESULTS = Path(__file__).parent / "results"
RUNS = {"8-step": ["--epochs", "2", "--steps-per-epoch", "4"],
        "trained": ["--epochs", str(DEMO_RUN["n_epochs"]), "--patience", str(DEMO_RUN["patience"])]}

def one_run(exe:str, spec:str, run:str, seed:int, threads:int|None) -> dict:
    "Train and evaluate one model through the command line; its metrics, per-kind image AUROC and seconds."
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {}))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "train", "--dataset", spec, "--size", "128", "--seed", str(seed), *RUNS[run], "--out", tmp, "--quiet"]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        secs = time.perf_counter() - t0
        if done.returncode: sys.exit(f"{' '.join(cmd)} failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        m = json.loads((Path(tmp) / "metrics.json").read_text())
        with open(Path(tmp) / "scores.csv") as fh: rows = list(csv.DictReader(fh))
    ds = open_dataset(spec, "test", 128, seed=seed)                  # the same test images, for their defect kinds
    scores, by_path = {r["image"]: float(r["score"]) for r in rows}, {it.image: it.defect for it in ds.items}
    kinds = ds.defects
    normal = [s for p, s in scores.items() if by_path[p] == "good"]
    per_kind = {}
    for k in sorted(set(kinds) - {"good"}):
        bad = [s for p, s in scores.items() if by_path[p] == k]
        per_kind[k] = round(roc_auc_score([0] * len(normal) + [1] * len(bad), normal + bad), 4)
    return dict(dataset=spec, run=run, seed=seed, image_auroc=round(m["image_auroc"], 4), pixel_auroc=round(m["pixel_auroc"], 4),
                aupro=round(m["aupro"], 4), per_kind=per_kind, seconds=round(secs, 1), command=" ".join(cmd[1:-3]))

def summarize(rows:list) -> dict:
    out = {}
    for spec in sorted({r["dataset"] for r in rows}):
        for run in RUNS:
            sel = [r for r in rows if r["dataset"] == spec and r["run"] == run]
            if not sel: continue
            v = [r["image_auroc"] for r in sel]
            out[f"{spec} | {run}"] = dict(seeds=[r["seed"] for r in sel], image_auroc_mean=round(statistics.mean(v), 4),
                                          image_auroc_min=min(v), image_auroc_max=max(v),
                                          seconds_mean=round(statistics.mean(r["seconds"] for r in sel), 1))
    return out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--dataset", default=DEMO_DATASET, help=f"dataset spec (default: the demo's, {DEMO_DATASET})")
    p.add_argument("--seeds", default="0,1,2"); p.add_argument("--runs", default="8-step,trained", help=f"comma separated, from {', '.join(RUNS)}")
    p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the runs (default: torch's)")
    p.add_argument("--out", default=str(RESULTS / "demo_data.json"))
    a = p.parse_args(argv)
    runs = a.runs.split(",")
    if not set(runs) <= set(RUNS): p.error(f"--runs must be among {', '.join(RUNS)}")
    exe = shutil.which("inpaint-tutorial") or str(Path(sys.executable).with_name("inpaint-tutorial"))
    out = Path(a.out)
    res = json.loads(out.read_text()) if out.exists() else dict(title="the demo's configuration after 8 steps and trained", rows=[], commands=[])
    for seed in (int(s) for s in a.seeds.split(",")):
        for run in runs:
            row = one_run(exe, a.dataset, run, seed, a.threads)
            row["machine"] = machine_line() + (f" | OMP_NUM_THREADS {a.threads}" if a.threads else "")
            print(json.dumps(row), flush=True)
            res["rows"] = [r for r in res["rows"] if (r["dataset"], r["run"], r["seed"]) != (row["dataset"], row["run"], row["seed"])] + [row]
            res["summary"] = summarize(res["rows"])
            out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(res, indent=2))
    cmd = "python benchmarks/demo_data.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if cmd not in res["commands"]: res["commands"].append(cmd)
    out.write_text(json.dumps(res, indent=2))
    for k, v in res["summary"].items(): print(k, v)
    print(f"results written to {out}")

if __name__ == "__main__": main()
