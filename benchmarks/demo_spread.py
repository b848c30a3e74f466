"""Why the demo's image AUROC moves between machines, and which checkpoint choice steadies it.

`inpaint-tutorial demo` trains RIAD (tiny U-Net, SyntheticDefects at 128 px, 30 epochs, batch 8, lr 1e-3 dropped x0.1
after epoch 25, 20% of the 64 training crops held out) and keeps the epoch with the lowest validation loss. This script
trains that configuration (riad_quality.py's, in the package's default precision) one epoch at a time through `fit`'s
resume (which continues exactly where a run stopped: 05a_training checks it), so that the weights of every epoch from
--from-epoch on can be scored on the test set; this per-epoch scoring is why it calls `fit` itself rather than the benchmarks' runner
(`summary.train_and_score`, which scores the finished run only). From the same run, three checkpoint choices:

    best  the lowest validation loss (what the demo keeps)
    last  the last epoch
    swa   the mean of the weights of the epochs after the learning-rate drop (26 to 30), with the BatchNorm statistics
          re-estimated on all the training crops (stochastic weight averaging, Izmailov et al. 2018)

Every run is added to (or replaces its seed and thread count in) the result file, and the summary over all runs in the
file is rewritten: per choice the mean, std, min and max of image AUROC, pixel AUROC and AUPRO, and per run the
epoch-to-epoch spread (population std) of the test image AUROC over the epochs scored. Run the thread counts as separate invocations:

    python benchmarks/demo_spread.py --threads 1 --seeds 0,1,2
    python benchmarks/demo_spread.py --threads 2 --seeds 0

How much of the run-to-run spread is the test set's: with --test-sizes 48,240 the demo's choice (best) of every run is
also scored on larger test sets of the same seed (half normal, the defect kinds in turn), the same trained weights on
each, so the spread over runs can be read per test-set size side by side (the epochs and the other choices are scored on
the first size only):

    python benchmarks/demo_spread.py --threads 1 --seeds 0,1,2 --test-sizes 48,240 --from-epoch 30 --out benchmarks/results/demo_test_size.json
    python benchmarks/demo_spread.py --threads 2 --seeds 0,1,2 --test-sizes 48,240 --from-epoch 30 --out benchmarks/results/demo_test_size.json
"""
import argparse, copy, json, statistics, sys, tempfile, time
from functools import partial
from pathlib import Path
import torch
from summary import machine_line
from torch.utils.data import DataLoader
from inpaint_tutorial.core import make_generator, seed_everything
from inpaint_tutorial.data import SyntheticDefects
from inpaint_tutorial.unet import unet_from_preset
from inpaint_tutorial.training import fit, load_checkpoint, fast_defaults
from inpaint_tutorial.riad import riad_step
from riad_quality import parse_args as quality_args, evaluate_seed

RESULTS = Path(__file__).parent / "results"
KEYS = ("image_auroc", "pixel_auroc", "aupro")

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--seeds", default="0,1,2"); p.add_argument("--threads", type=int, required=True)
    p.add_argument("--epochs", type=int, default=30); p.add_argument("--drop", type=int, default=25, help="epoch after which lr x 0.1 (the demo: 25 of 30)")
    p.add_argument("--from-epoch", type=int, default=20, help="score the test set after every epoch from this one on")
    p.add_argument("--test-sizes", default="48", help="test-set sizes (n_test of SyntheticDefects) every choice is scored on, comma separated; the first is the demo's")
    p.add_argument("--out", default=str(RESULTS / "demo_spread.json"))
    a = p.parse_args(argv)
    a.seeds = [int(s) for s in a.seeds.split(",")]
    a.test_sizes = [int(s) for s in a.test_sizes.split(",")]
    if any(n < 2 for n in a.test_sizes) or len(set(a.test_sizes)) < len(a.test_sizes): p.error("--test-sizes must be distinct integers >= 2")
    if not 1 <= a.drop < a.epochs or not 1 <= a.from_epoch <= a.epochs: p.error("need 1 <= --drop < --epochs and 1 <= --from-epoch <= --epochs")
    return a

def reestimate_bn(model, train_ds, step, seed:int, bs:int=8) -> None:
    "BatchNorm running statistics recomputed as plain means over all 64 training crops, the held-out ones included (train mode, no gradients, one random k per batch)."
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns: m.reset_running_stats(); m.momentum = None      # None: a cumulative average over the batches
    model.train(); g = make_generator(seed + 2)
    with torch.no_grad():
        for batch in DataLoader(train_ds, batch_size=bs): step(model, batch.image, generator=g)
    for m, mom in zip(bns, saved): m.momentum = mom
    model.eval()

def run_one(a, q, seed:int) -> dict:
    seed_everything(seed)
    kw = dict(size=q.size, seed=seed, texture=q.texture, n_train=q.n_train, crop=q.crop)
    train_ds = SyntheticDefects("train", **kw)
    tests = {n: SyntheticDefects("test", n_test=n, **kw) for n in a.test_sizes}
    test_ds = tests[a.test_sizes[0]]
    model = unet_from_preset(q.preset, train_ds.channels)
    step = partial(riad_step, ks=tuple(q.ks), n=q.n)
    score = lambda m, ds=test_ds: {k: v for k, v in evaluate_seed(q, seed, m, ds, q.filter_size[0]).items() if k in KEYS}
    per_epoch, swa_sum, n_swa = {}, None, 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for e in range(1, a.epochs + 1):   # one epoch per call: fit resumes from tmp/last with its optimizer and random stream
            hist = fit(model, train_ds, step, n_epochs=e, bs=q.bs, lr=q.lr, lr_drop_epochs=[a.drop], seed=seed, device="cpu",
                       out_dir=tmp, resume=True, val_fraction=q.val_fraction, patience=q.patience, progress=False)
            current = copy.deepcopy(model); load_checkpoint(Path(tmp) / "last", current)
            if e > a.drop:
                sd = current.state_dict()
                swa_sum = {k: v.detach().clone().double() for k, v in sd.items()} if swa_sum is None else {k: swa_sum[k] + sd[k].double() for k in sd}
                n_swa += 1
            if e >= a.from_epoch: per_epoch[e] = score(current) | dict(val_loss=hist["epochs"][-1].get("val_loss"))
        train_s = time.perf_counter() - t0
        best = copy.deepcopy(model); load_checkpoint(Path(tmp) / "best", best)
    swa = copy.deepcopy(model)
    ref = swa.state_dict()
    swa.load_state_dict({k: (swa_sum[k] / n_swa).to(ref[k].dtype) for k in ref})
    reestimate_bn(swa, train_ds, step, seed)
    last_e = max(per_epoch)
    r = dict(seed=seed, threads=torch.get_num_threads(), best_epoch=hist["best_epoch"], train_eval_s=round(train_s, 1),
             bf16=fast_defaults(torch.device("cpu")),
             choices=dict(best=score(best), last=per_epoch[last_e], swa=score(swa)),
             per_epoch={str(k): v for k, v in per_epoch.items()})
    if len(tests) > 1:   # the same weights scored on every test-set size
        r["by_test_size"] = {str(n): dict(best=r["choices"]["best"] if n == a.test_sizes[0] else score(best, ds)) for n, ds in tests.items()}
    return r

def spread(values:list) -> dict:
    return dict(mean=statistics.fmean(values), std=statistics.stdev(values) if len(values) > 1 else 0.0, min=min(values), max=max(values))

def summary(runs:list) -> dict:
    out = {c: {k: spread([r["choices"][c][k] for r in runs]) for k in KEYS} for c in ("best", "last", "swa")}
    if all(len(r["per_epoch"]) > 1 for r in runs):
        out["epoch_to_epoch_std"] = {f"seed {r['seed']}, {r['threads']} thread(s)":
                                     statistics.pstdev([v["image_auroc"] for v in r["per_epoch"].values()]) for r in runs}
    if all("by_test_size" in r for r in runs):   # per test-set size, the spread over runs of the same weights' scores
        out["by_test_size"] = {n: {c: {k: spread([r["by_test_size"][n][c][k] for r in runs]) for k in KEYS} for c in ("best",)}
                               for n in runs[0]["by_test_size"]}
    return out

def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    q = quality_args([])   # the demo's configuration, as riad_quality.py defines it
    machine = machine_line("cpu")
    out = Path(a.out)
    config = dict(epochs=a.epochs, drop=a.drop, from_epoch=a.from_epoch, bf16=fast_defaults(torch.device("cpu")))
    if a.test_sizes != [48]: config["test_sizes"] = a.test_sizes   # files of the demo's one test set do not record it
    res = json.loads(out.read_text()) if out.exists() else dict(title="the demo's configuration, one epoch per fit call, three checkpoint choices",
                                                                   machine=machine, config=config, runs=[])
    res.setdefault("config", config)   # files written before the config was recorded used these settings
    if (res["machine"], res["config"]) != (machine, config):   # one file compares runs of one machine and one configuration
        sys.exit(f"{out} holds runs of {res['machine']} with {res['config']}; this is {machine} with {config}: pass another --out")
    for seed in a.seeds:
        r = run_one(a, q, seed)
        res["runs"] = [x for x in res["runs"] if (x["seed"], x["threads"]) != (seed, a.threads)] + [r]
        res["runs"].sort(key=lambda x: (x["threads"], x["seed"]))
        res["summary"] = summary(res["runs"])
        res.setdefault("commands", [])
        cmd = "python benchmarks/demo_spread.py " + " ".join(argv or sys.argv[1:])
        if cmd not in res["commands"]: res["commands"].append(cmd)
        out.write_text(json.dumps(res, indent=2))
        print(f"seed {seed}, {a.threads} thread(s), best epoch {r['best_epoch']}: " +
              "; ".join(f"{c} " + " ".join(f"{r['choices'][c][k]:.3f}" for k in KEYS) for c in r["choices"]) +
              " | per epoch image AUROC " + " ".join(f"{v['image_auroc']:.3f}" for v in r["per_epoch"].values()) +
              "".join(f" | {n} test images: best " + " ".join(f"{v['best'][k]:.3f}" for k in KEYS) for n, v in r.get("by_test_size", {}).items()), flush=True)
    print(json.dumps(res["summary"], indent=1))

if __name__ == "__main__":
    main()
