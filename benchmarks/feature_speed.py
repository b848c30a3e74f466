"""Scoring cost of the pretrained-feature methods against their floor, measured side by side in one run.

The floor is the backbone's own forward pass up to the taps a method reads (EfficientNet-Lite0, strides 8 and 16, by
default). For one test image of --size (default 448x192, WxH: the ball-screw photographs' aspect ratio) this script times,
interleaved so machine noise hits all alike (median of --repeats):

    backbone      FeatureBackbone(images): the floor
    patchcore     PatchCore's whole detect: features, exact nearest-neighbour search against a memory bank of --bank rows
                  (the size the 1% coreset of the 511 ball-screw training images has at 448x192), map upsampled and smoothed
    patchcore-dim64, patchcore-dim32   the same with the 152 feature channels pooled to 64 or 32 (setting `dim`): the
                  search's product shrinks with them
    featinpaint   inpainting in feature space, whole detect with the default settings: features, n = 3 copies for each of
                  the 2 cell sizes inpainted in one pass, eq. 2 assembly, map upsampled and smoothed

and prints each method's time as a ratio to the backbone's (target: <= 1.5). The time of a detector does not depend on the
values of the weights or of the bank, so untrained ones of the right shapes are timed. Then each detector is built in a
fresh subprocess, scores one image, and scores --n-peak more: its resident memory after the first, and the peak while it
scores the rest (Linux: /proc/self/status VmRSS, and VmHWM reset through /proc/self/clear_refs), next to the backbone's alone.

Usage: python benchmarks/feature_speed.py [--size 448x192] [--bank 6868] [--threads 2] [--repeats 15] [--out FILE]
Writes benchmarks/results/feature_speed.json (or --out).
"""
import argparse, json, resource, statistics, subprocess, sys, time
from pathlib import Path
import torch
from inpaint_tutorial.cli import image_size
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.method import get_method
from inpaint_tutorial.backbones import feature_backbone
from summary import machine_line, write_results

RESULTS = Path(__file__).parent / "results"

def detector(name:str, bank:int):
    "The function that scores a batch for `name` ('backbone', 'patchcore', 'patchcore-dimN', 'featinpaint'), with untrained weights of the right shapes."
    if name == "backbone":
        fb = feature_backbone("efficientnet_lite0", "imagenet", (8, 16))
        return lambda x: fb(x)
    method, _, dim = name.partition("-dim")   # patchcore-dim64: the features pooled to 64 channels
    m = get_method(method); s = m.Settings(**(dict(dim=int(dim)) if dim else {}))
    net = m.build(s, 3).eval()
    if method == "patchcore": net.set_bank(torch.randn(bank, net.bank.shape[1], generator=make_generator(0)))
    g = make_generator(0)
    return lambda x: m.detect(net, x, s, generator=g)

def _status_mib(field:str) -> float:
    "A memory field of /proc/self/status (VmRSS: resident now, VmHWM: the peak since the last reset), in MiB."
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"): return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")

def memory_child(name:str, size, bank:int, n:int, threads:int) -> dict:
    "Resident memory (MiB) of a fresh process that built the detector and scored one image, and its peak while it scores n more."
    code = (f"import sys, json, torch; sys.path.insert(0, {str(Path(__file__).parent)!r}); torch.set_num_threads({threads})\n"
            f"from pathlib import Path\nfrom feature_speed import detector, _status_mib\nf = detector({name!r}, {bank})\n"
            f"x = torch.rand(1, 3, {size[0]}, {size[1]})\n"
            f"with torch.no_grad():\n    f(x); before = _status_mib('VmRSS'); Path('/proc/self/clear_refs').write_text('5')\n"
            f"    for _ in range({n}): f(x)\n"
            f"print(json.dumps(dict(resident=before, peak_scoring=_status_mib('VmHWM'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", default="448x192"); p.add_argument("--bank", type=int, default=6868)
    p.add_argument("--threads", type=int, default=2); p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--n-peak", type=int, default=8); p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    size = image_size(a.size); h, w = (size, size) if isinstance(size, int) else size
    names = ["backbone", "patchcore", "patchcore-dim64", "patchcore-dim32", "featinpaint"]
    fns = {k: detector(k, a.bank) for k in names}
    x = torch.rand(1, 3, h, w, generator=make_generator(1))
    with torch.no_grad():
        for f in fns.values(): f(x)
        ts = {k: [] for k in names}
        for _ in range(a.repeats):
            for k, f in fns.items():
                t = time.perf_counter(); f(x); ts[k].append(time.perf_counter() - t)
    ms = {k: 1000 * statistics.median(v) for k, v in ts.items()}
    ratio = {k: ms[k] / ms["backbone"] for k in names}
    mem = {k: memory_child(k, (h, w), a.bank, a.n_peak, a.threads) for k in names}
    for k in names: print(f"{k:12s} {ms[k]:8.1f} ms per image   x{ratio[k]:.2f} of the backbone   resident {mem[k]['resident']:.0f} MiB, "
                          f"peak while scoring {mem[k]['peak_scoring']:.0f} MiB")
    write_results(Path(a.out or RESULTS / "feature_speed.json"), "feature_speed.py", argv, machine=machine_line("cpu"),
                  size=[h, w], bank_rows=a.bank, repeats=a.repeats, ms_per_image={k: round(v, 2) for k, v in ms.items()},
                  ratio_to_backbone={k: round(v, 3) for k, v in ratio.items()},
                  memory_mib={k: {f: round(v) for f, v in d.items()} for k, d in mem.items()})

if __name__ == "__main__":
    main()
