"The downstream contract of `inpaint_tutorial.riad`: `reconstruct` and `detect` as other projects import them."
import inspect
import pytest
import torch
from torch import nn
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.masks import batch_grid_masks
from inpaint_tutorial.riad import reconstruct, detect, inpaint, image_score, Detection
from inpaint_tutorial.unet import unet_from_preset

def test_signatures():
    p = inspect.signature(reconstruct).parameters
    assert list(p)[:4] == ["model", "images", "k", "n"] and p["n"].default == 3
    assert p["generator"].kind is inspect.Parameter.KEYWORD_ONLY and p["generator"].default is None
    p = inspect.signature(detect).parameters
    assert list(p)[:4] == ["model", "images", "ks", "n"] and p["ks"].default == (2, 4, 8, 16)
    assert p["filter_size"].default == 21 and p["score_region"].default == "valid"
    assert Detection._fields == ("anomaly_map", "score", "recon")

@pytest.mark.parametrize("channels,b", [(1, 1), (3, 2)])
def test_reconstruct_and_detect(channels, b):
    model = unet_from_preset("tiny", channels).eval()
    x = torch.rand(b, channels, 32, 32, generator=make_generator(1))
    with torch.no_grad():
        r1 = reconstruct(model, x, 8, generator=make_generator(0))
        r2 = reconstruct(model, x, 8, generator=make_generator(0))
    assert r1.shape == x.shape and torch.equal(r1, r2) and 0 <= r1.min() and r1.max() <= 1
    det = detect(model, x, (4, 8), generator=make_generator(0))
    assert isinstance(det, Detection)
    assert det.anomaly_map.shape == (b, 1, 32, 32) and det.score.shape == (b,) and det.recon.shape == (b, 2, channels, 32, 32)
    assert 0 <= det.anomaly_map.min() and det.anomaly_map.max() < 1
    assert torch.equal(det.score, detect(model, x, (4, 8), generator=make_generator(0)).score)

def test_score_region():
    amap = torch.zeros(2, 1, 48, 48)
    amap[0, 0, 0, 0] = 0.9     # a corner: outside every full 21x21 window position
    amap[0, 0, 24, 24] = 0.5
    assert image_score(amap, 21).tolist() == [0.5, 0.0]
    assert image_score(amap, 21, "full").tolist() == pytest.approx([0.9, 0.0])
    with pytest.raises(ValueError, match="region"): image_score(amap, 21, "inner")

def test_inpaint_and_takes_mask():
    class Fill(nn.Module):
        takes_mask = True
        def forward(self, masked, masks): return masked + (1 - masks) * 0.25
    x = torch.rand(2, 1, 16, 16)
    masks = batch_grid_masks(2, (16, 16), 4, 3, generator=make_generator(0))
    assert torch.allclose(inpaint(Fill(), x, masks), torch.full_like(x, 0.25))
    with pytest.raises(ValueError, match="masks must have shape"): inpaint(Fill(), x, masks[:, :, :, :8])
