"""One figure: the same test images' anomaly maps from several methods, side by side, from the showcase file that
`five_methods.py` writes for seed 0 (`<results>_maps.npz`: the images, their masks, every method's map scaled to 0-255 over
the images shown, and its image scores).

    python benchmarks/map_figure.py                                   # PatchCore, feature inpainting, CSA, RIAD on ball-screw
    python benchmarks/map_figure.py --maps benchmarks/results/five_synthetic_maps.npz --methods riad-unet,ipad,csa --out /tmp/f.png

The defaults reproduce `benchmarks/results/maps_ball_screw.png`, which BENCHMARKS.md shows, from the two parts of the
ball-screw comparison of the scores (each `python benchmarks/five_methods.py --dataset ball_screw --budget 8 --threads 1
--seeds 0 --rescore perceptual,perceptual:random,msgms`, one with `--methods riad-unet,i3ad,riad-misf --out
benchmarks/results/scores_ball_screw_a.json`, one with `--methods csa,patchcore,featinpaint --out
benchmarks/results/scores_ball_screw_b.json`).
"""
import argparse, sys
from pathlib import Path
import numpy as np

RESULTS = Path(__file__).parent / "results"
SHORT = {"patchcore": "PatchCore", "featinpaint": "feature inpainting", "riad-unet": "RIAD (MSGMS)",
         "riad-unet@perceptual": "RIAD, perceptual score", "riad-misf": "RIAD MISF", "i3ad": "I3AD", "csa": "CSA", "ipad": "IPAD",
         "ae": "autoencoder", "pixelstats": "pixel statistics"}

def load_maps(paths:list) -> dict:
    "The showcase arrays of one or more files of the same images (parts of one comparison that split the methods), combined."
    d = {}
    for p in paths:
        f = dict(np.load(p))
        if d and not np.array_equal(f["images"], d["images"]): raise ValueError(f"{p} shows other images than {paths[0]}")
        methods = [*d.get("methods", np.array([])).tolist(), *f["methods"].tolist()]
        d.update(f); d["methods"] = np.array(methods)
    return d

def figure(maps:list, methods:list, out:Path, size:float=1.3) -> list:
    "Draw the showcase images (defects outlined in red) and each method's maps with their scores into `out`; returns the methods drawn."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    d = load_maps(maps)
    missing = [m for m in methods if f"map_{m}" not in d]
    if missing: raise ValueError(f"{', '.join(map(str, maps))} hold no maps of {missing}: they have {[str(m) for m in d['methods']]}")
    n, (h, w) = len(d["images"]), d["images"].shape[-2:]
    fig, axes = plt.subplots(n, 1 + len(methods), squeeze=False, figsize=((1 + len(methods)) * size * w / h, n * size + 0.5),
                             gridspec_kw=dict(wspace=0.04, hspace=0.4))
    for i in range(n):
        ax = axes[i, 0]
        ax.imshow(d["images"][i].transpose(1, 2, 0).squeeze(), cmap="gray", vmin=0, vmax=255)
        if d["masks"][i].any(): ax.contour(d["masks"][i, 0], levels=[0.5], colors="red", linewidths=0.6)
        ax.set_title(str(d["defects"][i]), fontsize=7)
        for j, m in enumerate(methods):
            ax = axes[i, j + 1]
            ax.imshow(d[f"map_{m}"][i, 0], cmap="inferno", vmin=0, vmax=255)
            ax.set_title((f"{SHORT.get(m, m)}\n" if i == 0 else "") + f"score {d[f'score_{m}'][i]:.3g}", fontsize=6)
    for ax in axes.flat: ax.set_xticks([]); ax.set_yticks([])
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, bbox_inches="tight"); plt.close(fig)
    return methods

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--maps", default=",".join(str(RESULTS / f"scores_ball_screw_{k}_maps.npz") for k in "ab"),
                   help="showcase file(s), comma-separated")
    p.add_argument("--methods", default="patchcore,featinpaint,csa,riad-unet,riad-unet@perceptual")
    p.add_argument("--out", default=str(RESULTS / "maps_ball_screw.png"))
    a = p.parse_args(argv)
    try: drawn = figure([Path(m) for m in a.maps.split(",") if m], [m for m in a.methods.split(",") if m], Path(a.out))
    except (ValueError, OSError) as e: sys.exit(f"cannot draw the figure: {e}")
    print(f"{a.out}: {', '.join(drawn)}")

if __name__ == "__main__":
    main()
