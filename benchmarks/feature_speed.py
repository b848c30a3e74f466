"""Scoring cost of the pretrained-feature methods against their floor, measured side by side in one run.

The floor is the backbone's own forward pass up to the taps a method reads (EfficientNet-Lite0, strides 8 and 16, by
default). For one test image of --size (default 448x192, WxH: the ball-screw photographs' aspect ratio) this script times,
interleaved so machine noise hits all alike (median of --repeats):

    backbone      FeatureBackbone(images): the floor
    patchcore     PatchCore's whole detect: features, exact nearest-neighbour search against a memory bank of --bank rows
                  (the size the 1% coreset of the 511 ball-screw training images has at 448x192), map upsampled and smoothed
    patchcore-dim64, patchcore-dim32   the same with the 152 feature channels pooled to 64 or 32 (setting `dim`): the
                  search's product shrinks with them
    patchcore-hnsw   the same with faiss's approximate HNSW search (setting `search`); its graph is built before timing
    patchcore-hnsw8  the same keeping 8 candidates while searching instead of 16 (setting `hnsw_ef`)
    featinpaint   inpainting in feature space, whole detect with the default settings: features, n = 3 copies for each of
                  the 2 cell sizes inpainted in one pass, eq. 2 assembly, map upsampled and smoothed
    featinpaint-fast   the same with a net of width 64 (not 128) and n = 2 copies per cell size (not 3)

and prints each method's time as a ratio to the backbone's (target: <= 1.5). The bank and the test image are real (see
`real_features`): with --data SPEC, a 1% coreset-like bank (greedy coreset of --bank rows from the first 64 training images'
patches) and the first test image of that dataset; without it, a random draw of patches from five scikit-image photographs
and a sixth photograph as the test image, a harder case for a graph search. Feature inpainting is timed untrained: its time
does not depend on the weights' values. The script also times the search alone (one image's patches against the bank):
exact `nearest` in blocks of 2 MiB (the default) and of 128 MiB (one block), faiss's exact IndexFlatL2 and the HNSW graph
(`hnsw_index` defaults, and with 8 candidates), and how often each finds the exact nearest neighbour over up to 8 test images. Then each detector
is built in a fresh subprocess, scores one image, and scores --n-peak more: its resident memory after the first, and the
peak while it scores the rest (Linux: /proc/self/status VmRSS, and VmHWM reset through /proc/self/clear_refs), next to the
backbone's alone.

Usage: python benchmarks/feature_speed.py [--size 448x192] [--bank 6868] [--data SPEC] [--threads 2] [--repeats 15] [--out FILE]
Writes benchmarks/results/feature_speed.json (or --out).
"""
import argparse, functools, json, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import torch
from torch import Tensor
from inpaint_tutorial.cli import image_size
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.method import get_method
from inpaint_tutorial.backbones import feature_backbone
from summary import machine_line, write_results
from variants import VARIANTS

RESULTS = Path(__file__).parent / "results"

def detector(name:str, bank:Tensor):
    "The function that scores a batch for `name` (a variant of five_methods.py, or 'backbone'): PatchCore with `bank` (pooled to its `dim`), feature inpainting untrained (its time does not depend on the weights' values)."
    if name == "backbone":
        fb = feature_backbone("efficientnet_lite0", "imagenet", (8, 16))
        return lambda x: fb(x)
    method, overrides = VARIANTS[name]
    m = get_method(method); s = m.Settings(**overrides)
    net = m.build(s, 3).eval()
    if method == "patchcore":
        d = net.bank.shape[1]
        net.set_bank(bank if d == bank.shape[1] else torch.nn.functional.adaptive_avg_pool1d(bank[:, None], d)[:, 0])   # as patch_features pools
        if s.search != "exact": net.search(torch.zeros(1, d), s.search, s.hnsw_ef)   # build the graph before timing
    g = make_generator(0)
    return lambda x: m.detect(net, x, s, generator=g)

@functools.lru_cache(maxsize=1)
def _lite0(): return feature_backbone("efficientnet_lite0", "imagenet", (8, 16))

def patch_rows(x:Tensor) -> Tensor:
    "PatchCore's patch features of images x (ImageNet Lite0, taps 8 and 16, the backbone built once), one row per position."
    from inpaint_tutorial.backbones import patch_features
    with torch.no_grad(): f = patch_features(_lite0()(x))
    return f.permute(0, 2, 3, 1).reshape(-1, f.shape[1])

def real_features(size, n_bank:int, data:str|None=None):
    """Patch features (ImageNet Lite0, taps 8 and 16) at `size` of real images, as a bank of n_bank rows and the test images:
    with `data` (a dataset spec), a greedy coreset of its first 64 training images' patches and its first 8 test images;
    without, a random draw from five scikit-image photographs and their flips, and a sixth photograph (coffee) as the test image.
    A graph search's speed and recall depend on the data: the photographs are a harder case (the test image's patches lie
    far from a bank of other scenes) than a part against a bank of the same part."""
    from inpaint_tutorial.patchcore import greedy_coreset
    if data:
        from inpaint_tutorial.pipeline import open_dataset
        train, test = (open_dataset(data, split, size, channels=3) for split in ("train", "test"))
        feats = torch.cat([patch_rows(torch.stack([train[i].image for i in range(j, min(j + 8, 64, len(train)))])) for j in range(0, min(64, len(train)), 8)])
        bank = feats[greedy_coreset(feats, min(n_bank, len(feats)), generator=make_generator(2))].contiguous()
        return bank, torch.stack([test[i].image for i in range(min(8, len(test)))])
    from skimage import data as photos
    def image(img):
        x = torch.from_numpy(img[..., :3].copy()).permute(2, 0, 1)[None].float() / 255
        return torch.nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False)
    feats = torch.cat([patch_rows(torch.cat([x, x.flip(-1), x.flip(-2), x.flip(-1, -2)])) for x in
                       (image(getattr(photos, n)()) for n in ("astronaut", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field"))])
    return feats[torch.randperm(len(feats), generator=make_generator(2))[:n_bank]].contiguous(), image(photos.coffee())

def search_timings(bank:Tensor, queries:list, repeats:int) -> dict:
    "Milliseconds (median) of the first test image's search: exact `nearest` in 2 MiB and 128 MiB blocks, faiss's IndexFlatL2, HNSW keeping 16 and 8 candidates; HNSW's recall over all the test images."
    from inpaint_tutorial.backbones import nearest, hnsw_index, nearest_hnsw
    import faiss
    flat = faiss.IndexFlatL2(bank.shape[1]); flat.add(bank.numpy()); faiss.omp_set_num_threads(torch.get_num_threads())
    graph, graph8, q = hnsw_index(bank), hnsw_index(bank, ef=8), queries[0]
    fns = {"exact_2mib": lambda: nearest(q, bank), "exact_128mib": lambda: nearest(q, bank, chunk_bytes=2**27),
           "faiss_flat": lambda: flat.search(q.numpy(), 1), "hnsw": lambda: nearest_hnsw(q, graph), "hnsw_ef8": lambda: nearest_hnsw(q, graph8)}
    ts = {k: [] for k in fns}
    for f in fns.values(): f()
    for _ in range(repeats):
        for k, f in fns.items():
            t = time.perf_counter(); f(); ts[k].append(time.perf_counter() - t)
    recall = lambda g: round(float(torch.stack([(nearest(x, bank)[1] == nearest_hnsw(x, g)[1]).float().mean() for x in queries]).mean()), 4)
    return dict(ms={k: round(1000 * statistics.median(v), 2) for k, v in ts.items()}, hnsw_recall=recall(graph), hnsw_ef8_recall=recall(graph8))

def _status_mib(field:str) -> float:
    "A memory field of /proc/self/status (VmRSS: resident now, VmHWM: the peak since the last reset), in MiB."
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"): return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")

def memory_child(name:str, inputs:Path, n:int, threads:int) -> dict:
    "Resident memory (MiB) of a fresh process that built the detector (bank and image from the file `inputs`) and scored one image, and its peak while it scores n more."
    code = (f"import sys, json, torch; sys.path.insert(0, {str(Path(__file__).parent)!r}); torch.set_num_threads({threads})\n"
            f"from pathlib import Path\nfrom feature_speed import detector, _status_mib\nd = torch.load({str(inputs)!r})\n"
            f"f = detector({name!r}, d['bank']); x = d['x']\n"
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
    p.add_argument("--data", default=None, help="dataset spec whose images the bank and the test image come from "
                   "(e.g. mvtec:../shared/data/ball_screw; default: scikit-image photographs)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    size = image_size(a.size); h, w = (size, size) if isinstance(size, int) else size
    names = ["backbone", "patchcore", "patchcore-hnsw", "patchcore-hnsw8", "patchcore-dim64", "patchcore-dim32", "featinpaint", "featinpaint-fast"]
    bank, test = real_features((h, w), a.bank, a.data)
    fns = {k: detector(k, bank) for k in names}
    x = test[:1]
    with torch.no_grad():
        for f in fns.values(): f(x)
        ts = {k: [] for k in names}
        for _ in range(a.repeats):
            for k, f in fns.items():
                t = time.perf_counter(); f(x); ts[k].append(time.perf_counter() - t)
    ms = {k: 1000 * statistics.median(v) for k, v in ts.items()}
    ratio = {k: ms[k] / ms["backbone"] for k in names}
    search = search_timings(bank, [patch_rows(t[None]) for t in test], a.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        torch.save(dict(bank=bank, x=x), Path(tmp) / "inputs.pt")
        mem = {k: memory_child(k, Path(tmp) / "inputs.pt", a.n_peak, a.threads) for k in names}
    print("one image's search alone, ms:", search["ms"], f"HNSW recall {search['hnsw_recall']} (8 candidates: {search['hnsw_ef8_recall']})")
    for k in names: print(f"{k:12s} {ms[k]:8.1f} ms per image   x{ratio[k]:.2f} of the backbone   resident {mem[k]['resident']:.0f} MiB, "
                          f"peak while scoring {mem[k]['peak_scoring']:.0f} MiB")
    write_results(Path(a.out or RESULTS / "feature_speed.json"), "feature_speed.py", argv, machine=machine_line("cpu"),
                  size=[h, w], bank_rows=len(bank), data=a.data or "scikit-image photographs", repeats=a.repeats, ms_per_image={k: round(v, 2) for k, v in ms.items()},
                  ratio_to_backbone={k: round(v, 3) for k, v in ratio.items()},
                  memory_mib={k: {f: round(v) for f, v in d.items()} for k, d in mem.items()}, search=search)

if __name__ == "__main__":
    main()
