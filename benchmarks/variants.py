"""The one table of named method configurations the comparison scripts run (`five_methods.py`, `compare.py`,
`feature_speed.py`): a variant is a registered method and the settings it overrides, with the label its table row shows.

`benchmarks/csa.py` keeps its own ablation table: its variants pin CSA's paper configuration (random SqueezeNet features),
which its committed figures were measured with, while `csa` here is the package's default (ImageNet Lite0 features).
"""

VARIANTS = {"riad-unet": ("riad", dict(backbone="unet")), "riad-misf": ("riad", dict(backbone="misf")), "ipad": ("ipad", {}),
            "csa": ("csa", {}), "i3ad": ("i3ad", {}), "pixelstats": ("pixelstats", {}), "ae": ("ae", {}),
            "patchcore": ("patchcore", {}), "featinpaint": ("featinpaint", {})}   # name -> (method, settings)
DEFAULT_METHODS = list(VARIANTS)
VARIANTS |= {"ipad-auto": ("ipad", dict(foreground="auto")), "ipad-full": ("ipad", dict(foreground="full")),   # IPAD's foreground rule, forced
             "ipad-cracks": ("ipad", dict(anomalies="cracks")),   # thin dark Perlin curves instead of blended blobs (ELPV's cracks)
             # ablations of the pretrained-feature methods: random backbone weights, a plain feature autoencoder, the loss everywhere,
             # one tap, one cell size, and PatchCore's eq. 7 reweighting
             "patchcore-random": ("patchcore", dict(weights="random")), "patchcore-reweight": ("patchcore", dict(reweight=True)),
             "patchcore-dim64": ("patchcore", dict(dim=64)), "patchcore-dim32": ("patchcore", dict(dim=32)),   # channels pooled: a cheaper search
             "patchcore-hnsw": ("patchcore", dict(search="hnsw")),   # faiss's approximate HNSW search instead of the exact one
             "patchcore-hnsw8": ("patchcore", dict(search="hnsw", hnsw_ef=8)),   # the same keeping 8 candidates, not 16
             "patchcore-randsel": ("patchcore", dict(selection="random")),   # a random 1% of the patches instead of the greedy coreset
             # larger images: 256 MiB of randomly kept patches, then a 3% coreset of them (the coreset's time grows with the rows)
             "patchcore-sub": ("patchcore", dict(max_bank_mb=256, coreset=0.03)),
             "featinpaint-random": ("featinpaint", dict(weights="random")), "featinpaint-ae": ("featinpaint", dict(mode="autoencoder")),
             "featinpaint-all": ("featinpaint", dict(loss="all")), "featinpaint-s16": ("featinpaint", dict(taps=(16,))),
             "featinpaint-s8": ("featinpaint", dict(taps=(8,))), "featinpaint-k2": ("featinpaint", dict(cells=(2,))),
             "featinpaint-k4": ("featinpaint", dict(cells=(4,))),
             "featinpaint-fast": ("featinpaint", dict(width=64, n=2)),   # a quarter of the net's products per pass, two passes per cell size
             "featinpaint-var": ("featinpaint", dict(variance=True)),   # the net also predicts a log-variance; map = error / variance
             # and its errors standardised per grid position by validation images' errors (rescore normalize=none: the plain map)
             "featinpaint-var-pos": ("featinpaint", dict(variance=True, normalize="position")),
             # the larger ImageNet EfficientNet-Lite2 (the lite2 extra) instead of Lite0
             "patchcore-lite2": ("patchcore", dict(backbone="efficientnet_lite2")),
             "featinpaint-lite2": ("featinpaint", dict(backbone="efficientnet_lite2")),
             "featinpaint-var-lite2": ("featinpaint", dict(backbone="efficientnet_lite2", variance=True)),
             "featinpaint-var-pos-lite2": ("featinpaint", dict(backbone="efficientnet_lite2", variance=True, normalize="position")),
             "patchcore-sub-lite2": ("patchcore", dict(backbone="efficientnet_lite2", max_bank_mb=256, coreset=0.03)),
             # and its last stage too (the stride-32 tap): coarser, more semantic features on the stride-8 grid
             "patchcore-lite2-32": ("patchcore", dict(backbone="efficientnet_lite2", taps=(8, 16, 32))),
             "featinpaint-var-lite2-32": ("featinpaint", dict(backbone="efficientnet_lite2", taps=(8, 16, 32), variance=True)),
             "ae-skips": ("ae", dict(skips=True)),   # the autoencoder with the U-Net's skip connections: it can copy its input
             # CSA with the paper's SqueezeNet 1.1 and seeded random weights (consistency target and score) against its default, ImageNet Lite0
             "csa-random": ("csa", dict(features="squeezenet1_1", feature_weights="random"))}

LABELS = {"riad-unet": "RIAD, U-Net", "riad-misf": "RIAD, MISF backbone", "ipad": "IPAD", "csa": "CSA", "csa-random": "CSA", "i3ad": "I3AD",
          "ipad-auto": "IPAD, `foreground=\"auto\"` (on the part)", "ipad-full": "IPAD, `foreground=\"full\"` (anywhere)",
          "ipad-cracks": "IPAD, crack-like pseudo-anomalies (`anomalies=\"cracks\"`)",
          "ae": "baseline: autoencoder (`ae`)", "pixelstats": "baseline: per-pixel statistics (`pixelstats`)",
          "patchcore": "reference: PatchCore (ImageNet EfficientNet-Lite0)", "featinpaint": "feature inpainting (ImageNet EfficientNet-Lite0)",
          "patchcore-random": "PatchCore, random backbone weights", "patchcore-reweight": "PatchCore, eq. 7 reweighting",
          "patchcore-dim64": "PatchCore, features pooled to 64 channels", "patchcore-dim32": "PatchCore, features pooled to 32 channels",
          "featinpaint-random": "feature inpainting, random backbone weights", "featinpaint-ae": "feature autoencoder (nothing hidden)",
          "featinpaint-all": "feature inpainting, loss at every position", "featinpaint-s16": "feature inpainting, stride-16 tap only",
          "featinpaint-s8": "feature inpainting, stride-8 tap only", "featinpaint-k2": "feature inpainting, cells of 2 only",
          "featinpaint-k4": "feature inpainting, cells of 4 only",
          "patchcore-hnsw": "PatchCore, approximate HNSW search (faiss)",
          "patchcore-hnsw8": "PatchCore, approximate HNSW search keeping 8 candidates",
          "patchcore-randsel": "PatchCore, a random 1% of the patches (no coreset)",
          "patchcore-lite2": "PatchCore, ImageNet EfficientNet-Lite2", "featinpaint-lite2": "feature inpainting, ImageNet EfficientNet-Lite2",
          "featinpaint-var-lite2": "feature inpainting, learned variance, ImageNet EfficientNet-Lite2",
          "patchcore-sub-lite2": "PatchCore, ImageNet EfficientNet-Lite2, 256 MiB of patches, 3% coreset",
          "patchcore-lite2-32": "PatchCore, ImageNet EfficientNet-Lite2, taps 8, 16 and 32",
          "featinpaint-var-lite2-32": "feature inpainting, learned variance, ImageNet EfficientNet-Lite2, taps 8, 16 and 32",
          "patchcore-sub": "PatchCore, 256 MiB of patches, 3% coreset",
          "featinpaint-fast": "feature inpainting, width 64, n = 2",
          "featinpaint-var": "feature inpainting, learned variance", "featinpaint-var-pos": "feature inpainting, learned variance, standardised by grid position",
          "featinpaint-var-pos@normalize=none": "feature inpainting, learned variance (the same nets, not standardised)",
          "featinpaint-var-pos@top_k=10": "feature inpainting, learned variance, standardised by grid position, top_k 10",
          "featinpaint-var-pos-lite2": "feature inpainting, learned variance, ImageNet EfficientNet-Lite2, standardised by grid position",
          "featinpaint-var-pos-lite2@normalize=none": "feature inpainting, learned variance, ImageNet EfficientNet-Lite2 (the same nets, not standardised)",
          "featinpaint-var-pos-lite2@top_k=10": "feature inpainting, learned variance, ImageNet EfficientNet-Lite2, standardised by grid position, top_k 10",
          "featinpaint-var-pos-lite2@normalize=position+top_k=10": "feature inpainting, learned variance, ImageNet EfficientNet-Lite2, standardised by grid position, top_k 10",
          "patchcore-lite2@normalize=position+top_k=10/featinpaint-var-pos-lite2": "mean of the maps of the two rows above (PatchCore, and feature inpainting scored by its maximum)",
          "ae-skips": "autoencoder with skip connections"}
