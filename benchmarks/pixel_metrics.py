"""Benchmark: exact vs binned / streaming pixel AUROC and AUPRO on a realistic-size synthetic test set.

All paths run side by side in one process on the same data: 200 maps of 256x256 by default (13.1M pixels, about the test set of
one large MVTec AD category), blob-shaped defects from `fake_anomaly_maps`, scores correlated with the masks.
For each path: the value, its absolute error against the exact value, the error bound the binned paths compute for themselves,
the wall time (one untraced run) and the peak of NumPy allocations above the inputs (a second run under tracemalloc).
The streaming paths are fed batches of whole images, with a fixed score range chosen beforehand (the data's range rounded outwards).
Usage: python benchmarks/pixel_metrics.py [--n 200] [--size 256] [--bins 65536] [--batch 16] [--no-sklearn]
"""
import argparse, platform, time, tracemalloc
from pathlib import Path
import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.metrics import (BINS, PixelAccumulator, aupro, fake_anomaly_maps, pixel_auroc)
from summary import machine_line, write_results

def measure(fn):
    "(result, seconds of an untraced run, peak MB of traced allocations in a second run)."
    t = time.perf_counter(); result = fn(); seconds = time.perf_counter() - t
    tracemalloc.start(); tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return result, seconds, peak / 2**20

def make_data(n, size, seed, batch=50):
    "Maps and masks as float32 NumPy arrays, generated in batches (the generator's own temporaries stay small)."
    g = make_generator(seed)
    maps, masks = np.empty((n, 1, size, size), np.float32), np.empty((n, 1, size, size), np.float32)
    for i in range(0, n, batch):
        m, k, _ = fake_anomaly_maps(min(batch, n - i), size, strength=0.8, generator=g)
        maps[i:i + len(m)], masks[i:i + len(m)] = m.numpy(), k.numpy()
    return maps, masks

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200); ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--bins", type=int, default=BINS); ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0); ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "pixel_metrics.json"))
    a = ap.parse_args()
    maps, masks = make_data(a.n, a.size, a.seed)
    lo, hi = np.floor(maps.min()), np.ceil(maps.max())

    def stream(pro):
        acc = PixelAccumulator(lo, hi, a.bins, pro=pro)
        for i in range(0, a.n, a.batch): acc.update(maps[i:i + a.batch], masks[i:i + a.batch])
        return acc

    rows = []   # (metric, path, value, bound, seconds, peak MB)
    if not a.no_sklearn:
        v, s, p = measure(lambda: roc_auc_score(masks.ravel(), maps.ravel()))
        rows.append(("pixel AUROC", "sklearn roc_auc_score", v, None, s, p))
    v, s, p = measure(lambda: pixel_auroc(maps, masks, max_pixels=float("inf")))
    rows.append(("pixel AUROC", "exact (sorted normals)", v, None, s, p)); exact_auroc = v
    v, s, p = measure(lambda: pixel_auroc(maps, masks, max_pixels=0, bins=a.bins))
    bound = PixelAccumulator(maps.min(), maps.max(), a.bins, pro=False).update(maps, masks).auroc_error_bound()
    rows.append(("pixel AUROC", f"binned, min-max range", v, bound, s, p))
    acc, s, p = measure(lambda: stream(False))
    rows.append(("pixel AUROC", f"streamed, batches of {a.batch}", acc.auroc(), acc.auroc_error_bound(), s, p))
    v, s, p = measure(lambda: aupro(maps, masks))
    rows.append(("AUPRO(0.3)", "exact (one sort)", v, None, s, p)); exact_aupro = v
    acc, s, p = measure(lambda: stream(True))
    rows.append(("AUPRO(0.3)", f"streamed, batches of {a.batch}", acc.aupro(), acc.aupro_error_bound(), s, p))

    n_pix, n_pos = maps.size, int(masks.sum())
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, numpy {np.__version__}")
    print(f"data: {a.n} maps of {a.size}x{a.size} float32 ({n_pix / 1e6:.1f}M pixels, {n_pos} anomalous, "
          f"{acc.n_regions} defect regions); inputs {(maps.nbytes + masks.nbytes) / 2**20:.0f} MB")
    print(f"binned paths: {a.bins} bins; streamed range [{lo:g}, {hi:g}] fixed beforehand, {acc.n_out} scores outside")
    print(f"{'metric':<12} {'path':<26} {'value':>10} {'|err| vs exact':>15} {'bound':>9} {'time s':>8} {'peak MB':>8}")
    for metric, path, v, bound, s, p in rows:
        ref = exact_auroc if metric == "pixel AUROC" else exact_aupro
        err = "ref" if path.startswith("exact") else f"{abs(v - ref):.1e}"
        b = "" if bound is None else f"{bound:.1e}"
        print(f"{metric:<12} {path:<26} {v:10.6f} {err:>15} {b:>9} {s:8.2f} {p:8.1f}")
    write_results(Path(a.out), "pixel_metrics.py", None, machine=machine_line("cpu", f"numpy {np.__version__}"),
                  config=dict(n=a.n, size=a.size, bins=a.bins, batch=a.batch, seed=a.seed), n_pixels=n_pix, n_anomalous=n_pos,
                  n_regions=acc.n_regions, rows=[dict(metric=m, path=pa, value=v,
                                                      error=None if pa.startswith("exact") else abs(v - (exact_auroc if m == "pixel AUROC" else exact_aupro)),
                                                      bound=b, seconds=sec, peak_mb=pk) for m, pa, v, b, sec, pk in rows])

if __name__ == "__main__":
    main()
