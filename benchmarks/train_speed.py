"""Where training time goes, and what each speed lever buys, measured side by side in one run.

For one method (RIAD by default, tiny preset, 128 px) the script trains with `training.fit` under several settings, one
after the other and interleaved over `--rounds` rounds, so that a machine that gets busier or quieter affects every setting
alike. Each run is 2 epochs of `--steps` steps; the first epoch is a warm-up (compilation, allocator, caches) and only the
second is timed. Every setting's images per second is printed with its ratio to the baseline (the median over the rounds),
and the baseline's time is split into decoding (data), forward + backward, optimizer and validation, from `fit`'s own
per-epoch timings. Settings:

    baseline       what `fit` did before: float32, contiguous layout, no DataLoader workers, images decoded every epoch
    cache          the training images decoded and resized once, kept in memory (data.InMemory)
    workers2       2 DataLoader worker processes decode while the model trains
    channels_last  channels-last memory layout
    bf16           bfloat16 autocast (the CPU must support it)
    compile        torch.compile of the model
    threads1       torch.set_num_threads(1) (the others use the default)
    bf16+cl, bf16+cl+compile, bf16+cl+cache   the combinations

Datasets: the built-in `synthetic` (generated in memory: no decoding) and one on disk in the MVTec AD layout
(`--disk PATH`, default ../shared/data/ball_screw when it exists, else a stand-in with 1130x460 JPEGs written to a temporary
folder). Results go to benchmarks/results/train_speed.json.

    python benchmarks/train_speed.py                       # both datasets, 128 px, 3 rounds
    python benchmarks/train_speed.py --settings baseline,cache,bf16 --rounds 5

It calls `training.fit` itself rather than the benchmarks' runner (`summary.train_and_score`): it measures training
throughput only (two short epochs per lever, nothing evaluated), with levers such as DataLoader workers and thread counts
that a comparison's protocol fixes.
"""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np
import torch
from summary import machine_line
from PIL import Image
from inpaint_tutorial.core import make_generator, smooth_images
from inpaint_tutorial.data import InMemory
from inpaint_tutorial.method import get_method
from inpaint_tutorial.pipeline import open_dataset
from inpaint_tutorial.training import fit

BASE = dict(precision="fp32", channels_last="off")   # the baseline, whatever `fit`'s auto would choose on this machine
SETTINGS = {"baseline": {}, "cache": dict(cache=True), "workers2": dict(num_workers=2), "channels_last": dict(channels_last="on"),
            "bf16": dict(precision="bf16"), "compile": dict(compile=True), "threads1": dict(threads=1),
            "bf16+cl": dict(precision="bf16", channels_last="on"), "bf16+cl+compile": dict(precision="bf16", channels_last="on", compile=True),
            "bf16+cl+cache": dict(precision="bf16", channels_last="on", cache=True)}

def stand_in(folder:Path, n_train:int=64) -> str:
    "An MVTec-layout folder of 1130x460 RGB JPEGs (the size of the ball-screw photographs)."
    cat = folder / "part"
    g = make_generator(0)
    for split, n in (("train/good", n_train), ("test/good", 4)):
        (cat / split).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(smooth_images(n, (460, 1130), 3, generator=g, cells=12)):
            Image.fromarray((img.permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(cat / split / f"{i:03d}.jpg", quality=90)
    return f"mvtec:{cat}"

def run(method, settings, train_ds, lever:dict, a) -> dict:
    lever = dict(lever)
    threads = lever.pop("threads", None); cache = lever.pop("cache", False)
    old = torch.get_num_threads()
    if threads: torch.set_num_threads(threads)
    try:
        t0 = time.perf_counter()
        ds = InMemory(train_ds) if cache else train_ds
        cache_s = time.perf_counter() - t0
        torch.manual_seed(0)
        model = method.build(settings, train_ds.channels)
        (stage,) = method.stages(settings)
        h = fit(model, ds, stage.step, n_epochs=2, bs=a.bs, lr=1e-3, val_fraction=a.val_fraction, seed=0, device="cpu",
                progress=False, max_steps=a.steps, **{**BASE, **lever})
    finally:
        torch.set_num_threads(old)
    e = h["epochs"][1]
    return dict(images_per_s=e["images_per_s"], time=e["time"], seconds=e["seconds"], cache_s=cache_s, val_loss=e.get("val_loss"),
                first_epoch_s=h["epochs"][0]["seconds"])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--method", default="riad"); p.add_argument("--size", type=int, default=128)
    p.add_argument("--bs", type=int, default=8); p.add_argument("--steps", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3); p.add_argument("--settings", default=",".join(SETTINGS))
    p.add_argument("--datasets", default="synthetic,disk"); p.add_argument("--disk", default=None)
    p.add_argument("--val-fraction", type=float, default=0.2)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "train_speed.json"))
    a = p.parse_args(argv)
    names = [s for s in a.settings.split(",") if s]
    if "baseline" not in names: names = ["baseline"] + names
    method = get_method(a.method); settings = method.Settings()
    machine = machine_line("cpu", f"cpu capability {torch.backends.cpu.get_cpu_capability()}")
    print("machine:", machine)
    tmp = tempfile.TemporaryDirectory()
    specs = {}
    for d in a.datasets.split(","):
        if d == "synthetic": specs[d] = "synthetic"
        elif d == "disk":
            shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "ball_screw"
            specs[d] = f"mvtec:{a.disk}" if a.disk else f"mvtec:{shared}" if shared.is_dir() else stand_in(Path(tmp.name))
    results = dict(machine=machine, command="python benchmarks/train_speed.py " + " ".join(argv or sys.argv[1:]),
                   config=dict(method=a.method, size=a.size, bs=a.bs, steps=a.steps, rounds=a.rounds, settings=settings.to_dict()), datasets={})
    for d, spec in specs.items():
        train_ds = open_dataset(spec, "train", a.size, seed=0)
        print(f"\n{d}: {spec}, {len(train_ds)} training images, {a.size} px, {train_ds.channels} channel(s), batch {a.bs}, {a.steps} steps")
        runs = {n: [] for n in names}
        for r in range(a.rounds):
            for n in names:
                try: runs[n].append(run(method, settings, train_ds, SETTINGS[n], a))
                except Exception as e:   # e.g. bf16 or compile unsupported here: reported, not hidden
                    runs[n].append(dict(error=f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"))
        base = statistics.median(x["images_per_s"] for x in runs["baseline"])
        rows = {}
        for n in names:
            ok = [x for x in runs[n] if "error" in x] == []
            if not ok: print(f"  {n:14s} failed: {runs[n][0]['error']}"); rows[n] = dict(error=runs[n][0]["error"]); continue
            ips = statistics.median(x["images_per_s"] for x in runs[n])
            split = {k: statistics.median(x["time"].get(k, 0.0) for x in runs[n]) for k in ("data", "forward_backward", "optimizer", "validation")}
            rows[n] = dict(images_per_s=ips, ratio=ips / base, per_round=[x["images_per_s"] for x in runs[n]], time=split,
                           cache_s=statistics.median(x["cache_s"] for x in runs[n]),
                           first_epoch_s=statistics.median(x["first_epoch_s"] for x in runs[n]))
            tot = sum(split.values())
            print(f"  {n:16s} {ips:7.2f} img/s  x{ips / base:4.2f}  warm-up epoch {rows[n]['first_epoch_s']:5.1f} s  time: " +
                  "  ".join(f"{k} {100 * v / tot:4.1f}%" for k, v in split.items()) + (f"  (cache built in {rows[n]['cache_s']:.1f} s)" if n == "cache" else ""))
        results["datasets"][d] = dict(spec=spec if d == "synthetic" or a.disk or "shared" in spec else "stand-in 1130x460 JPEGs", n_train=len(train_ds), rows=rows)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(results, indent=2))
    print(f"\nresults written to {a.out}")

if __name__ == "__main__":
    main()
