"""Benchmark: vectorised `grid_masks` against a per-cell Python loop (the way public RIAD code builds masks).

Both are timed side by side in one run, on the same machine, interleaved, and the ratio of medians is printed.
Usage: python benchmarks/masks.py [--size 256] [--k 2] [--n 3] [--repeats 20]; writes benchmarks/results/masks.json.
"""
import argparse, platform, statistics, sys, time
from pathlib import Path
import torch
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.masks import grid_masks
from summary import machine_line, write_results

def grid_masks_loop(size, k, n=3, generator=None):
    "Reference: Algorithm 1 read literally, one Python iteration per k x k cell."
    h = w = size
    gw, N = w // k, (h // k) * (w // k)
    perm = torch.randperm(N, generator=generator).tolist()
    masks = torch.ones(n, 1, h, w)
    for j, cell in enumerate(perm):
        r, c = divmod(cell, gw)
        masks[j * n // N, :, r * k:(r + 1) * k, c * k:(c + 1) * k] = 0
    return masks

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256); ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--n", type=int, default=3); ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "masks.json"))
    a = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    g = make_generator(0)
    loop, vec = [], []
    for _ in range(a.repeats):   # interleaved so that machine noise hits both alike
        t = time.perf_counter(); ml = grid_masks_loop(a.size, a.k, a.n, g); loop.append(time.perf_counter() - t)
        t = time.perf_counter(); mv = grid_masks(a.size, a.k, a.n, generator=g); vec.append(time.perf_counter() - t)
    assert torch.equal((1 - ml).sum(0), (1 - mv).sum(0))  # both partition the image
    lm, vm = statistics.median(loop), statistics.median(vec)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    print(f"grid masks at {a.size}px, k={a.k}, n={a.n}, {a.repeats} repeats (median):")
    print(f"  per-cell loop  {lm*1e3:9.2f} ms")
    print(f"  vectorised     {vm*1e3:9.2f} ms")
    print(f"  speed-up       {lm/vm:9.1f}x")
    write_results(Path(a.out), "masks.py", None, machine=machine_line("cpu"),
                  config=dict(size=a.size, k=a.k, n=a.n, repeats=a.repeats), loop_ms=lm * 1e3, vectorised_ms=vm * 1e3, speedup=lm / vm)

if __name__ == "__main__":
    main()
