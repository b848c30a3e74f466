"""The contract of `inpaint_tutorial.losses`: names, signatures, shapes, value ranges, precision rules and error messages."""
import inspect

import numpy as np
import pytest
import torch

from inpaint_tutorial.core import make_generator, smooth_images
from inpaint_tutorial.losses import (ssim_map, ssim_loss, gms_map, msgms_map, msgms_loss, mean_filter, riad_loss,
                                     msgms_anomaly_map)

PAIR_FNS = [ssim_map, ssim_loss, gms_map, msgms_map, msgms_loss, riad_loss, msgms_anomaly_map]
MAP_FNS = [ssim_map, gms_map, msgms_map, msgms_anomaly_map]
LOSS_FNS = [ssim_loss, msgms_loss, riad_loss]


def pair(shape=(2, 3, 32, 32), seed=0, dtype=torch.float32):
    "Two different smooth batches in [0,1]."
    b, c, h, w = shape
    x = smooth_images(2 * b, (h, w), c, generator=make_generator(seed)).to(dtype)
    return x[:b], x[b:]


def kwonly_defaults(fn):
    return {n: p.default for n, p in inspect.signature(fn).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_signatures():
    assert list(inspect.signature(riad_loss).parameters)[:2] == ["x", "recon"]
    assert list(inspect.signature(msgms_anomaly_map).parameters)[:2] == ["x", "recon"]
    assert kwonly_defaults(ssim_map) == {"window_size": 11, "sigma": 1.5, "data_range": 1.0}
    assert kwonly_defaults(gms_map) == {"c": 0.0026}
    assert kwonly_defaults(msgms_map) == {"scales": 4, "c": 0.0026}
    assert kwonly_defaults(msgms_loss) == {"scales": 4, "c": 0.0026}
    assert kwonly_defaults(riad_loss) == {"lambda_g": 1.0, "lambda_s": 1.0, "parts": False}
    assert kwonly_defaults(msgms_anomaly_map) == {"scales": 4, "filter_size": 21, "c": 0.0026}
    assert inspect.signature(mean_filter).parameters["size"].default == 21


@pytest.mark.parametrize("shape", [(2, 1, 32, 32), (1, 3, 48, 40), (3, 3, 24, 64)])
@pytest.mark.parametrize("fn", MAP_FNS)
def test_map_shapes_and_ranges(fn, shape):
    x, y = pair(shape)
    m = fn(x, y)
    assert m.shape == (shape[0], 1, *shape[2:]) and m.dtype == torch.float32
    lo, hi = {ssim_map: (-1, 1), gms_map: (0, 1), msgms_map: (0, 1), msgms_anomaly_map: (0, 1)}[fn]
    assert m.min() >= lo - 1e-6 and m.max() <= hi + 1e-6
    assert not torch.equal(m, fn(x, x))  # the maps see the difference


@pytest.mark.parametrize("fn", LOSS_FNS)
def test_losses_are_scalars(fn):
    x, y = pair()
    loss = fn(x, y)
    assert loss.shape == () and loss.dtype == torch.float32
    assert 0 < loss.item() < 3
    assert abs(fn(x, x).item()) < 1e-5


def test_identical_images():
    x, _ = pair((2, 3, 40, 40))
    assert torch.allclose(ssim_map(x, x), torch.ones(2, 1, 40, 40), atol=1e-5)
    assert torch.allclose(gms_map(x, x), torch.ones(2, 1, 40, 40), atol=1e-6)
    assert torch.allclose(msgms_map(x, x), torch.ones(2, 1, 40, 40), atol=1e-6)
    assert abs(msgms_loss(x, x).item()) < 1e-6 and abs(ssim_loss(x, x).item()) < 1e-5
    assert msgms_anomaly_map(x, x).abs().max() < 1e-6


def test_batch_items_are_independent():
    x, y = pair((3, 3, 32, 32))
    for fn in MAP_FNS:
        whole = fn(x, y)
        for i in range(3): assert torch.allclose(whole[i:i + 1], fn(x[i:i + 1], y[i:i + 1]), atol=1e-6)


def test_ssim_matches_skimage():
    from skimage.metrics import structural_similarity
    x, y = pair((1, 3, 40, 48), seed=3, dtype=torch.float64)
    m, S = structural_similarity(x[0].permute(1, 2, 0).numpy(), y[0].permute(1, 2, 0).numpy(), gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=2, full=True)
    ours = ssim_map(x, y)[0, 0, 5:-5, 5:-5].numpy()
    assert np.abs(ours - S.mean(2)[5:-5, 5:-5]).max() < 1e-10
    assert abs(ours.mean() - m) < 1e-10


def test_gray_repeated_equals_gray():
    x, y = pair((2, 1, 32, 32))
    for fn in MAP_FNS: assert torch.allclose(fn(x.repeat(1, 3, 1, 1), y.repeat(1, 3, 1, 1)), fn(x, y), atol=1e-6)


def test_riad_loss_parts_and_weights():
    x, y = pair()
    p = riad_loss(x, y, parts=True)
    assert set(p) == {"loss", "l2", "msgms", "ssim"}
    assert torch.allclose(p["loss"], p["l2"] + p["msgms"] + p["ssim"])
    assert torch.allclose(p["l2"], ((x - y) ** 2).mean())
    assert torch.allclose(p["msgms"], msgms_loss(x, y)) and torch.allclose(p["ssim"], ssim_loss(x, y))
    w = riad_loss(x, y, lambda_g=2.0, lambda_s=0.5)
    assert torch.allclose(w, p["l2"] + 2 * p["msgms"] + 0.5 * p["ssim"])


@pytest.mark.parametrize("fn", LOSS_FNS + [lambda a, b: msgms_anomaly_map(a, b).mean(), lambda a, b: gms_map(a, b).mean()])
@pytest.mark.parametrize("case", ["flat-flat", "flat-other", "black-black", "texture-flat"])
def test_gradients_finite_on_flat_images(fn, case):
    tex, _ = pair((2, 3, 32, 32))
    flat = torch.full((2, 3, 32, 32), 0.4)
    x, r = {"flat-flat": (flat, flat), "flat-other": (flat, flat + 0.3), "black-black": (flat * 0, flat * 0),
            "texture-flat": (tex, flat)}[case]
    r = r.clone().requires_grad_(True)
    fn(x, r).backward()
    assert torch.isfinite(r.grad).all()


def test_precision_rules():
    x, y = pair()
    ref = riad_loss(x, y)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        amp = riad_loss(x, y)
        amp_map = ssim_map(x, y)
    assert amp.dtype == torch.float32 and torch.allclose(amp, ref, atol=1e-6)
    assert amp_map.dtype == torch.float32 and torch.allclose(amp_map, ssim_map(x, y), atol=1e-6)
    assert ssim_map(x.double(), y.double()).dtype == torch.float64
    assert msgms_loss(x.double(), y).dtype == torch.float64          # mixed: promoted
    assert gms_map(x.bfloat16(), y.bfloat16()).dtype == torch.float32  # half precision: computed in float32


def test_mean_filter():
    t = torch.rand(2, 4, 7, 9, generator=make_generator(1), dtype=torch.float64)
    out = mean_filter(t, 3)
    assert out.shape == t.shape
    assert torch.isclose(out[0, 0, 0, 0], t[0, 0, :2, :2].mean())        # corner: 4 valid pixels
    assert torch.isclose(out[1, 2, 3, 4], t[1, 2, 2:5, 3:6].mean())      # interior: 9 pixels
    assert torch.allclose(mean_filter(torch.ones(1, 1, 30, 30)), torch.ones(1, 1, 30, 30))
    assert torch.allclose(mean_filter(t, 21), t.mean(dim=(2, 3), keepdim=True).expand_as(t))
    assert torch.equal(mean_filter(t, 1), t)


def test_anomaly_map_definition():
    x, y = pair((2, 3, 64, 64))
    assert torch.allclose(msgms_anomaly_map(x, y), 1 - mean_filter(msgms_map(x, y)), atol=1e-7)
    assert torch.allclose(msgms_anomaly_map(x, y, scales=1, filter_size=1), 1 - gms_map(x, y), atol=1e-7)


def test_anomaly_map_finds_a_defect():
    x, _ = pair((1, 1, 64, 64))
    bad = x.clone()
    bad[..., 20:30, 36:44] = 1.0  # a bright rectangle
    amap = msgms_anomaly_map(bad, x)[0, 0]
    r, c = divmod(int(amap.argmax()), 64)
    assert 15 <= r < 35 and 31 <= c < 49


x32 = torch.rand(2, 3, 32, 32)
BAD = [
    (lambda: ssim_map(x32, x32[:, :, :16]), ValueError, "same shape (B,C,H,W), got (2, 3, 32, 32) and (2, 3, 16, 32)"),
    (lambda: riad_loss(x32, x32[:1]), ValueError, "x and recon must have the same shape"),
    (lambda: gms_map(x32[0], x32[0]), ValueError, "4-D batch of images (B,C,H,W), got shape (3, 32, 32)"),
    (lambda: msgms_loss((x32 * 255).to(torch.uint8), x32), ValueError, "floating-point tensor with values in [0,1], got dtype torch.uint8"),
    (lambda: msgms_anomaly_map(x32, x32.long()), ValueError, "recon must be a floating-point"),
    (lambda: ssim_loss(x32.permute(0, 2, 3, 1), x32.permute(0, 2, 3, 1)), ValueError, "C = 1 or 3"),
    (lambda: ssim_map(x32.numpy(), x32), TypeError, "torch.Tensor"),
    (lambda: ssim_map(x32[..., :8, :8], x32[..., :8, :8]), ValueError, "at least 11x11"),
    (lambda: ssim_map(x32, x32, window_size=10), ValueError, "odd int"),
    (lambda: ssim_map(x32, x32, data_range=0), ValueError, "data_range must be > 0"),
    (lambda: msgms_map(x32[..., :20, :], x32[..., :20, :]), ValueError, "at least 24x24"),
    (lambda: msgms_map(x32, x32, scales=0), ValueError, "scales must be an int >= 1"),
    (lambda: gms_map(x32, x32, c=0), ValueError, "c must be > 0"),
    (lambda: mean_filter(x32, 4), ValueError, "odd positive int"),
    (lambda: mean_filter(x32[0]), ValueError, "4-D"),
    (lambda: mean_filter(x32.long()), ValueError, "floating-point"),
    (lambda: msgms_anomaly_map(x32, x32, filter_size=20), ValueError, "odd positive int"),
]


@pytest.mark.parametrize("call,exc,msg", BAD)
def test_bad_input(call, exc, msg):
    with pytest.raises(exc) as e: call()
    assert msg in str(e.value)


def test_mean_filter_any_channels():
    t = torch.rand(1, 5, 16, 16)
    assert mean_filter(t, 5).shape == (1, 5, 16, 16)
