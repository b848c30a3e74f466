"""Time Perlin noise generation per image: a NumPy reference vs `perlin_noise` vs `batch_perlin_noise` (`07_perlin`).

What it measures: the time to make one 256 px Perlin noise image (`--size`) with DRAEM's random scales (2^ey x 2^ex lattice
cells, ey, ex uniform in 0..5), three ways, side by side in one run:

1. a NumPy reference written here: the classic per-image algorithm as DRAEM's `rand_perlin_2d_np` does it (gradients tiled
   with `np.repeat`, four dot products, quintic fade, two lerps; sizes must be multiples of the scale, which holds for
   256 px and powers of two);
2. `inpaint_tutorial.perlin.perlin_noise`: one image per call (the separable matrix-product form);
3. `inpaint_tutorial.perlin.batch_perlin_noise`: a batch of `--batch` images (16) per call, each with its own scale,
   time divided by the batch size.

Each repeat times all three on the same 16 scales, interleaved, so that load from other jobs hits them alike; the medians
over `--repeats` repeats and the ratios NumPy / torch are printed, with the machine (platform, torch version, threads, load).
Before timing, the script checks that the reference and the library give the same noise from the same gradients.

Usage (from the repository root):

    python benchmarks/perlin.py                  # 256 px, batch 16, 15 repeats
    python benchmarks/perlin.py --size 128 --repeats 30
"""
import argparse, math, os, statistics, time
from pathlib import Path
import numpy as np
import torch
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.perlin import perlin_noise, batch_perlin_noise, gradient_noise
from summary import machine_line, write_results


def perlin_numpy(shape, res, rng=None, gradients=None):
    "Classic 2-D Perlin noise of `shape` on a `res` lattice, per image, NumPy (shape must be a multiple of res)."
    (h, w), (ry, rx) = shape, res
    if gradients is None:
        angles = 2 * math.pi * rng.random((ry + 1, rx + 1))
        gradients = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    dy, dx = h // ry, w // rx
    grid = np.stack(np.meshgrid(np.arange(h) * ry / h, np.arange(w) * rx / w, indexing="ij"), axis=-1) % 1   # offsets in the cell
    tiled = np.repeat(np.repeat(gradients, dy, axis=0), dx, axis=1)                                      # one gradient per pixel and corner
    def dot(oy, ox):                                                                                    # corner (oy, ox) of each cell
        g = tiled[oy * dy:oy * dy + h, ox * dx:ox * dx + w]
        return g[..., 0] * (grid[..., 0] - oy) + g[..., 1] * (grid[..., 1] - ox)
    n00, n01, n10, n11 = dot(0, 0), dot(0, 1), dot(1, 0), dot(1, 1)
    t = 6 * grid ** 5 - 15 * grid ** 4 + 10 * grid ** 3
    top = n00 + t[..., 1] * (n01 - n00)
    bottom = n10 + t[..., 1] * (n11 - n10)
    return top + t[..., 0] * (bottom - top)


def check(size):
    "The reference and the library agree on the same gradients (several scales)."
    rng = np.random.default_rng(0)
    worst = 0.0
    for res in [(1, 1), (4, 8), (32, 2), (32, 32)]:
        angles = 2 * math.pi * rng.random((res[0] + 1, res[1] + 1))
        grads = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        ref = perlin_numpy((size, size), res, gradients=grads)
        out = gradient_noise(torch.from_numpy(grads).float()[None], size, res)[0].numpy()
        worst = max(worst, float(np.abs(ref - out).max()))
    assert worst < 1e-5, worst
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=256, help="image side in pixels (a multiple of 32)")
    p.add_argument("--batch", type=int, default=16, help="images per repeat (and batch size of batch_perlin_noise)")
    p.add_argument("--repeats", type=int, default=15, help="interleaved repeats; medians are reported")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "perlin.json"), help="results file")
    a = p.parse_args()
    if a.size % 32: p.error("--size must be a multiple of 32 (the NumPy reference needs multiples of the scale)")

    load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
    print("machine:", machine_line("cpu", f"{os.cpu_count()} CPUs, NumPy {np.__version__}" + (f", load average {load0[0]:.2f} at start" if load0 else "")))
    worst = check(a.size)
    print(f"check: max |NumPy - torch| on the same gradients = {worst:.1e}")

    g = make_generator(0)
    scales = 2 ** torch.randint(0, 6, (a.batch, 2), generator=g)
    pairs = [tuple(s) for s in scales.tolist()]
    rng = np.random.default_rng(0)
    for s in pairs[:2]:                                             # warm up all three paths
        perlin_numpy((a.size, a.size), s, rng); perlin_noise(a.size, s, generator=g)
    batch_perlin_noise(a.batch, a.size, scales, generator=g)

    times = {"numpy": [], "single": [], "batch": []}
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for s in pairs: perlin_numpy((a.size, a.size), s, rng)
        times["numpy"].append((time.perf_counter() - t0) / a.batch)
        t0 = time.perf_counter()
        for s in pairs: perlin_noise(a.size, s, generator=g)
        times["single"].append((time.perf_counter() - t0) / a.batch)
        t0 = time.perf_counter()
        batch_perlin_noise(a.batch, a.size, scales, generator=g)
        times["batch"].append((time.perf_counter() - t0) / a.batch)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}

    print(f"\nPerlin noise, {a.size} px, DRAEM scales 2^(0..5) per axis, {a.batch} images per repeat, median of {a.repeats} repeats:")
    print(f"{'version':52s} {'ms / image':>10s} {'NumPy / this':>13s}")
    rows = [("NumPy reference (classic, per image)", "numpy"), ("perlin_noise (torch, one image per call)", "single"),
            (f"batch_perlin_noise (torch, batch of {a.batch}, per image)", "batch")]
    for label, k in rows:
        print(f"{label:52s} {med[k]:10.3f} {med['numpy'] / med[k]:12.1f}x")
    load1 = os.getloadavg()[0] if load0 else None
    if load0:
        print(f"load average at the end: {load1:.2f} (other jobs slow torch's parallel regions more than single-threaded NumPy)")
    write_results(Path(a.out), "perlin.py", None, machine=machine_line("cpu", f"{os.cpu_count()} CPUs | NumPy {np.__version__}"), config=dict(size=a.size, batch=a.batch, repeats=a.repeats),
                  max_abs_difference=worst, load_average=[load0[0] if load0 else None, load1],
                  ms_per_image=med, numpy_over=({k: med["numpy"] / med[k] for k in med}))


if __name__ == "__main__":
    main()
