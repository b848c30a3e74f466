"""Does `predict` stream? Peak memory and throughput of `inpaint-tutorial predict` over 500 and over 5,000 inputs.

The script writes --n images (64 px PNGs: crops of the built-in SyntheticDefects test images, cycled) into a temporary
folder tree of 10 sub-folders with repeated file names, trains a per-pixel-statistics checkpoint on the built-in data
with the console script (a closed-form fit: seconds; the detector's cost is not what is measured here), then runs the console script `predict`
as a child process on the first 500 inputs and on all of them, one after the other, and reads each child's peak
resident memory from the kernel (`os.wait4`). Printed and written to benchmarks/results/predict_memory.json: inputs,
seconds, images per second, peak memory in MiB, and the ratio of the peak memories (flat streaming: about 1). Then
the same --n inputs once per --workers value (`predict --workers W`: W DataLoader processes decode the files while the
main process scores and writes), side by side in the same run: seconds, images per second, the peak resident
memory `os.wait4` reports, and the speed-up over W = 0 (decoding in the main process).

    python benchmarks/predict_memory.py                 # 500 and 5,000 inputs
    python benchmarks/predict_memory.py --n 20000
    python benchmarks/predict_memory.py --workers 0,1,2         # the default: decode in 0, 1 and 2 worker processes
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image
from inpaint_tutorial.data import SyntheticDefects
from summary import machine_line, write_results

EXE = str(Path(sys.executable).parent / "inpaint-tutorial")

def write_inputs(root:Path, n:int) -> list[Path]:
    "n PNG files in 10 sub-folders, the same names in every sub-folder."
    test = SyntheticDefects("test", size=64, seed=0)
    arrays = [(test[i].image[0].numpy() * 255).round().astype(np.uint8) for i in range(len(test))]
    files = []
    for i in range(n):
        f = root / f"part{i % 10}" / f"{i // 10:05d}.png"
        f.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(arrays[i % len(arrays)]).save(f); files.append(f)
    return files

def run_predict(inputs:list, ckpt:Path, out:Path, bs:int, workers:int=0) -> dict:
    "One `predict` child process: seconds, peak resident memory (MiB, as `os.wait4` reports it), exit status."
    t0 = time.perf_counter()
    p = subprocess.Popen([EXE, "predict", *map(str, inputs), "--checkpoint", str(ckpt), "--out", str(out), "--bs", str(bs), "--quiet",
                          "--workers", str(workers)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    rows = sum(1 for _ in open(out / "scores.csv")) - 1
    return dict(seconds=round(secs, 2), peak_mib=round(usage.ru_maxrss / 1024, 1), exit_status=os.waitstatus_to_exitcode(status), rows=rows)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--n", type=int, default=5000); p.add_argument("--small", type=int, default=500); p.add_argument("--bs", type=int, default=16)
    p.add_argument("--workers", default="0,1,2", help="comma-separated worker counts to compare on the --n inputs")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "predict_memory.json"))
    a = p.parse_args(argv)
    worker_counts = [int(w) for w in a.workers.split(",")]
    machine = machine_line("cpu")
    print("machine:", machine)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_inputs(tmp / "in", a.n)
        subprocess.run([EXE, "train", "--dataset", "synthetic", "--method", "pixelstats", "--size", "64", "--out", str(tmp / "ckpt"),
                        "--quiet", "--no-eval"], check=True, capture_output=True)   # the checkpoint as a user makes it
        runs = {}
        for n in (a.small, a.n):   # a folder tree of n inputs: the first n // 10 of each sub-folder
            inputs = sorted(f for d in sorted((tmp / "in").iterdir()) for f in sorted(d.iterdir())[: n // 10])
            r = run_predict(inputs, tmp / "ckpt", tmp / f"out{n}", a.bs)
            assert r["exit_status"] == 0 and r["rows"] == n, r
            r["images_per_s"] = round(n / r["seconds"], 1)
            runs[str(n)] = r
            print(f"{n:6d} inputs: {r['seconds']:7.1f} s, {r['images_per_s']:7.1f} images/s, peak memory {r['peak_mib']:.0f} MiB", flush=True)
        workers = {}
        for w in worker_counts:
            r = run_predict(inputs, tmp / "ckpt", tmp / f"out_w{w}", a.bs, workers=w)
            assert r["exit_status"] == 0 and r["rows"] == a.n, r
            r["images_per_s"] = round(a.n / r["seconds"], 1)
            workers[str(w)] = r
        for w, r in workers.items():
            r["speedup"] = round(r["images_per_s"] / workers[str(worker_counts[0])]["images_per_s"], 3)
            print(f"--workers {w}: {r['seconds']:7.1f} s, {r['images_per_s']:7.1f} images/s (x{r['speedup']:.2f}), peak memory {r['peak_mib']:.0f} MiB", flush=True)
    ratio = runs[str(a.n)]["peak_mib"] / runs[str(a.small)]["peak_mib"]
    print(f"peak memory {a.n} / {a.small} inputs: x{ratio:.3f}")
    write_results(Path(a.out), "predict_memory.py", argv, machine=machine, method="pixelstats", size=64, bs=a.bs, runs=runs,
                  peak_ratio=round(ratio, 3), workers=workers)

if __name__ == "__main__":
    main()
