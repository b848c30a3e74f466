"""Fingerprints of seeded outputs, to show that a refactoring changed no number: `reconstruct` and `detect` of RIAD on a
seeded tiny U-Net, and for every registered method a seeded `pipeline.train` (two epochs of two steps, its closed-form
stages, the evaluation report) followed by its `detect` on eight test images and `predict` on five image files. Each output is recorded as the SHA-256 of
its bytes (tensors as float32 or their own dtype, files as written) next to a readable value or two.

    python tools/seeded_outputs.py --out /tmp/before.json            # on the old code
    python tools/seeded_outputs.py --check /tmp/before.json          # on the new code: exit 1 on any difference
"""
import argparse, csv, hashlib, json, sys, tempfile
from pathlib import Path
import torch
from PIL import Image
from inpaint_tutorial import pipeline
from inpaint_tutorial.core import make_generator, seed_everything
from inpaint_tutorial.method import list_methods, get_method
from inpaint_tutorial.riad import reconstruct, detect
from inpaint_tutorial.unet import unet_from_preset

DATA, SIZE = "synthetic:n_train=16,n_test=8", 64

def digest(t) -> str:
    "SHA-256 of a tensor's bytes (contiguous, on the CPU)."
    return hashlib.sha256(t.detach().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]

def state_digest(model) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()): h.update(k.encode()); h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]

def riad_functions() -> dict:
    seed_everything(0)
    net = unet_from_preset("tiny", 1).eval()
    x = torch.rand(2, 1, 32, 32, generator=make_generator(1))
    rec = reconstruct(net, x, 8, generator=make_generator(2))
    det = detect(net, x, ks=(4, 8), generator=make_generator(3))
    return {"reconstruct": dict(sha=digest(rec), mean=float(rec.detach().mean())),
            "detect": dict(sha=[digest(det.anomaly_map), digest(det.score), digest(det.recon)], scores=det.score.tolist())}

def method_run(name:str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        r = pipeline.train(name, None, DATA, size=SIZE, out=Path(tmp) / "run", n_epochs=2, bs=4, lr=1e-3, seed=0,
                           device="cpu", max_steps=2, progress=False)
        out = Path(tmp) / "run"
        scores = list(csv.reader(open(out / "scores.csv")))
        hist = r["history"]
        losses = [[e.get("train_loss"), e.get("val_loss")] for e in hist["epochs"]]
        losses += [[e.get("train_loss"), e.get("val_loss")] for st in hist.get("stages", {}).values() for e in st["epochs"]]
        m = r["metrics"]
        test = pipeline.open_dataset(DATA, "test", SIZE, seed=0, channels=r["channels"])
        x = torch.stack([test[i].image for i in range(8)])
        det = r["method"].detect(r["model"].eval(), x, r["settings"], generator=make_generator(5))
        files = Path(tmp) / "files"; files.mkdir()
        for i in range(5): Image.fromarray((x[i, 0] * 255).round().byte().numpy()).save(files / f"{i}.png")
        rows = pipeline.predict(pipeline.load(out), [files], Path(tmp) / "pred", bs=2)
        pred = hashlib.sha256(json.dumps([(Path(r[0]).name, r[1], r[3]) for r in rows]).encode() + b"".join((Path(tmp) / "pred" / r[3]).read_bytes() for r in rows)).hexdigest()[:16]
        return dict(weights=state_digest(r["model"]), losses=losses, best_epoch=hist["best_epoch"],
                    metrics={k: m.get(k) for k in ("image_auroc", "pixel_auroc", "aupro", "f1_max")},
                    scores_csv=hashlib.sha256(json.dumps(scores).encode()).hexdigest()[:16],
                    detect=[digest(det.anomaly_map), digest(det.score), digest(det.recon)], predict=pred)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=None, help="write the fingerprints here")
    p.add_argument("--check", default=None, help="compare with the fingerprints in this file; exit 1 on a difference")
    p.add_argument("--methods", default=None, help="comma separated (default: every registered method)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    names = a.methods.split(",") if a.methods else list_methods()
    res = dict(functions=riad_functions(), methods={n: method_run(n) for n in names})
    if a.out: Path(a.out).write_text(json.dumps(res, indent=2)); print(f"written to {a.out}")
    if a.check:
        ref = json.loads(Path(a.check).read_text())
        bad = [f"functions.{k}" for k in res["functions"] if res["functions"][k] != ref["functions"].get(k)]
        bad += [f"methods.{k}" for k in res["methods"] if res["methods"][k] != ref["methods"].get(k)]
        for k in bad: print(f"DIFFERENT: {k}")
        print(f"{len(res['functions']) + len(res['methods']) - len(bad)} of {len(res['functions']) + len(res['methods'])} outputs bitwise equal")
        return 1 if bad else 0
    return 0

if __name__ == "__main__": sys.exit(main())
