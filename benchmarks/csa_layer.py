"""Benchmark: the batched coherent-semantic-attention layer against the literal per-position loop (`csa_loop`).

For each feature-map side (16, 32, 64 by default; C channels, one image, a third of the cells holes in a random grid
pattern), both versions run on the same float64 input, their outputs must agree to 1e-6 (the script fails otherwise), and
the ratio of their times is printed side by side. The batched version is also timed in float32 and with a batch of 8
images with different masks. Writes benchmarks/results/csa_layer.json, which the 12_csa chapter and BENCHMARKS.md quote.

Usage: python benchmarks/csa_layer.py [--sides 16,32,64] [--channels 128] [--repeats 5]
"""
import argparse, platform, statistics, sys, time
from pathlib import Path
import torch
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.csa import coherent_attention, csa_loop
from summary import machine_line, write_results

def timed(f, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); out = f(); ts.append(time.perf_counter() - t0)
    return out, statistics.median(ts)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sides", default="16,32,64"); ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "csa_layer.json"))
    a = ap.parse_args(argv)
    rows = []
    for side in map(int, a.sides.split(",")):
        g = make_generator(side)
        x = torch.randn(1, a.channels, side, side, generator=g, dtype=torch.float64).relu()     # features after a ReLU
        keep = (torch.rand(1, 1, side, side, generator=g) > 1 / 3).double()
        holes = int((keep == 0).sum())
        ref, t_loop = timed(lambda: csa_loop(x, keep)[0], 1)
        out, t_vec = timed(lambda: coherent_attention(x, keep), a.repeats)
        diff = float((out - ref).abs().max())
        _, t_f32 = timed(lambda: coherent_attention(x.float(), keep), a.repeats)
        xb = torch.randn(8, a.channels, side, side, generator=g).relu(); kb = (torch.rand(8, 1, side, side, generator=g) > 1 / 3).float()
        _, t_b8 = timed(lambda: coherent_attention(xb, kb), a.repeats)
        row = dict(side=side, channels=a.channels, holes=holes, loop_s=round(t_loop, 4), batched_s=round(t_vec, 5),
                   ratio=round(t_loop / t_vec, 1), max_abs_diff=diff, batched_f32_s=round(t_f32, 5), batched_f32_b8_s=round(t_b8, 5))
        rows.append(row)
        print(f"{side:3d}x{side:<3d} C={a.channels} holes={holes:5d}  loop {t_loop:9.3f} s  batched {t_vec * 1e3:8.1f} ms  "
              f"x{t_loop / t_vec:8.1f}  max|diff| {diff:.1e}  (float32 {t_f32 * 1e3:.1f} ms, batch of 8 {t_b8 * 1e3:.1f} ms)")
        if diff > 1e-6: sys.exit(f"batched and literal CSA differ by {diff:.3g} > 1e-6 at {side}x{side}")
    write_results(Path(a.out), "csa_layer.py", argv, rows=rows,
                  machine=machine_line("cpu", platform.processor()))

if __name__ == "__main__": main()
