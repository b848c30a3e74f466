"""What the comparison scripts share: mean +- std over seeds, the markdown table, the result file."""
import json, statistics, sys
from pathlib import Path

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
