"""RIAD benchmarks, measured side by side in one run (ratios, not absolute timings, are the figures that matter).

1. `reconstruct` overhead: time of `reconstruct` (masking + forward + eq. 2 assembly) / time of the bare model forward
   on the same already-masked batch (target: <= 1.15 on a 2-core CPU at 128 px, small preset).
2. Batched `reconstruct` / `detect` against the public re-implementations' per-mask loop (one masked copy per forward).
3. Training throughput (images/s, Algorithm 2 steps with Adam) and peak memory per U-Net preset and image size;
   each configuration runs in its own subprocess so that its peak resident memory is its own.

Usage: python benchmarks/riad.py [--device cpu|cuda] [--skip-train] [--sizes 64,128,256] [--repeats 7] [--out FILE]
Writes benchmarks/results/riad_<device>.json (or --out): the machine, the command and every figure printed.
"""
import argparse, json, platform, resource, statistics, subprocess, sys, time
from pathlib import Path
import torch
from summary import machine_line
from inpaint_tutorial.core import default_device, make_generator
from inpaint_tutorial.masks import batch_grid_masks
from inpaint_tutorial.riad import reconstruct, detect
from inpaint_tutorial.losses import msgms_anomaly_map
from inpaint_tutorial.unet import unet_from_preset, count_params

def sync(device):
    if device.type == "cuda": torch.cuda.synchronize()

def timeit(fn, device, repeats):
    "Median seconds of `fn()` over `repeats` runs after one warm-up."
    fn(); sync(device)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); sync(device); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

def interleaved(fns:dict, device, repeats):
    "Median seconds of each function, runs interleaved so machine noise hits all alike."
    for f in fns.values(): f()
    sync(device)
    ts = {k: [] for k in fns}
    for _ in range(repeats):
        for k, f in fns.items():
            t = time.perf_counter(); f(); sync(device); ts[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in ts.items()}

def reconstruct_loop(model, images, k, n=3, generator=None):
    "Public re-implementations: one image, one mask, one forward pass at a time."
    b, c, h, w = images.shape
    masks = batch_grid_masks(b, (h, w), k, n, generator=generator, device=images.device)
    out = torch.zeros_like(images)
    for j in range(b):
        for i in range(n):
            out[j] += (1 - masks[j, i]) * model((masks[j, i] * images[j])[None])[0]
    return out

def detect_loop(model, images, ks=(2, 4, 8, 16), n=3, generator=None):
    "Algorithm 3 with the per-mask loop, one k after the other."
    amaps = [msgms_anomaly_map(images, reconstruct_loop(model, images, k, n, generator)) for k in ks]
    amap = torch.stack(amaps).mean(0)
    return amap, amap.flatten(1).amax(1)

def bench_overhead(device, repeats, size=128, bs=8, k=8, n=3, preset="small"):
    model = unet_from_preset(preset, 3).to(device).eval()
    images = torch.rand(bs, 3, size, size, device=device)
    masks = batch_grid_masks(bs, size, k, n, generator=make_generator(0), device=device)
    masked = (masks * images[:, None]).flatten(0, 1)
    with torch.no_grad():
        t = interleaved({"forward": lambda: model(masked),
                         "reconstruct": lambda: reconstruct(model, images, k, n, generator=make_generator(0))}, device, repeats)
    print(f"1. reconstruct overhead ({preset} preset, {size}px, batch {bs} x n={n}, k={k}):")
    print(f"   bare forward on the masked batch {t['forward']*1e3:8.1f} ms")
    print(f"   reconstruct                      {t['reconstruct']*1e3:8.1f} ms")
    print(f"   ratio reconstruct / forward      {t['reconstruct']/t['forward']:8.3f}   (target <= 1.15)")
    return dict(preset=preset, size=size, bs=bs, n=n, k=k, forward_ms=1e3 * t["forward"], reconstruct_ms=1e3 * t["reconstruct"],
                ratio=t["reconstruct"] / t["forward"], target=1.15)

def bench_batched(device, repeats, size=64, bs=8, preset="tiny"):
    model = unet_from_preset(preset, 3).to(device).eval()
    images = torch.rand(bs, 3, size, size, device=device)
    with torch.no_grad():
        t = interleaved({"reconstruct_loop": lambda: reconstruct_loop(model, images, 8, generator=make_generator(0)),
                         "reconstruct": lambda: reconstruct(model, images, 8, generator=make_generator(0))}, device, repeats)
        d = interleaved({"detect_loop": lambda: detect_loop(model, images, generator=make_generator(0)),
                         "detect": lambda: detect(model, images, generator=make_generator(0))}, device, max(3, repeats // 2))
    print(f"2. batched vs per-mask loop ({preset} preset, {size}px, batch {bs}, n=3):")
    print(f"   reconstruct k=8: loop {t['reconstruct_loop']*1e3:8.1f} ms, batched {t['reconstruct']*1e3:8.1f} ms, "
          f"speed-up {t['reconstruct_loop']/t['reconstruct']:5.2f}x")
    print(f"   detect K={{2,4,8,16}}: loop {d['detect_loop']*1e3:8.1f} ms, batched {d['detect']*1e3:8.1f} ms, "
          f"speed-up {d['detect_loop']/d['detect']:5.2f}x")
    return dict(preset=preset, size=size, bs=bs, reconstruct_loop_ms=1e3 * t["reconstruct_loop"], reconstruct_ms=1e3 * t["reconstruct"],
                reconstruct_speedup=t["reconstruct_loop"] / t["reconstruct"], detect_loop_ms=1e3 * d["detect_loop"],
                detect_ms=1e3 * d["detect"], detect_speedup=d["detect_loop"] / d["detect"])

def train_one(preset, size, device_name, steps, bs):
    "Runs in a subprocess: images/s and peak memory of Algorithm 2 training steps."
    from inpaint_tutorial.riad import riad_step
    device = default_device(device_name)
    model = unet_from_preset(preset, 3).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    g = make_generator(0)
    images = torch.rand(bs, 3, size, size, device=device)
    def step():
        loss = riad_step(model, images, generator=g)
        opt.zero_grad(); loss.backward(); opt.step()
    step(); sync(device)   # warm-up
    if device.type == "cuda": torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(steps): step()
    sync(device)
    secs = time.perf_counter() - t
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(preset=preset, size=size, bs=bs, params_m=round(count_params(model) / 1e6, 2), images_per_s=bs * steps / secs,
                          seconds_per_step=secs / steps, peak_mb=peak)))

def bench_training(device_name, sizes):
    print("3. training throughput, Algorithm 2 steps (3 masked copies per image), Adam, fp32:")
    print(f"   {'preset':7s} {'size':>5s} {'bs':>3s} {'img/s':>8s} {'s/step':>8s} {'peak MB':>9s}  ({'GPU allocated' if device_name == 'cuda' else 'process RSS'})")
    rows = []
    for preset in ("tiny", "small", "paper"):
        for size in sizes:
            steps = 2 if (preset == "paper" and size >= 256 and device_name != "cuda") else 5 if device_name != "cuda" else 20
            cmd = [sys.executable, __file__, "--_train", preset, str(size), device_name, str(steps), "4"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode: print(f"   {preset:7s} {size:5d}  failed: {r.stderr.strip().splitlines()[-1]}"); continue
            x = json.loads(r.stdout.strip().splitlines()[-1]); rows.append(x)
            print(f"   {preset:7s} {size:5d} {x['bs']:3d} {x['images_per_s']:8.2f} {x['seconds_per_step']:8.3f} {x['peak_mb']:9.0f}")
    return rows

def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--_train":
        p, s, d, steps, bs = sys.argv[2:7]
        return train_one(p, int(s), d, int(steps), int(bs))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=None); ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--skip-train", action="store_true"); ap.add_argument("--sizes", default="64,128,256")
    ap.add_argument("--out", default=None, help="result file (default benchmarks/results/riad_<device>.json)")
    a = ap.parse_args()
    device = default_device(a.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    machine = machine_line(f"{device} ({name})")
    print(f"machine: {machine}")
    res = dict(machine=machine, command="python benchmarks/riad.py " + " ".join(sys.argv[1:]),
               overhead=bench_overhead(device, a.repeats), batched=bench_batched(device, a.repeats))
    if not a.skip_train: res["training"] = bench_training(device.type, [int(s) for s in a.sizes.split(",")])
    out = Path(a.out or Path(__file__).parent / "results" / f"riad_{device.type}.json")
    out.write_text(json.dumps(res, indent=2)); print(f"results written to {out}")

if __name__ == "__main__":
    main()
