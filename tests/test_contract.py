"""The downstream contract: public names, signatures and return types that other projects rely on."""
import inspect
import pytest
import torch
from inpaint_tutorial.core import (default_device, make_generator, seed_everything, child_generator,
                                   show_images, overlay, smooth_images, fake_mvtec, fake_visa)
from inpaint_tutorial.masks import grid_masks, batch_grid_masks

def test_grid_masks_signature():
    sig = inspect.signature(grid_masks)
    assert list(sig.parameters)[:3] == ["size", "k", "n"]
    assert sig.parameters["n"].default == 3
    assert sig.parameters["generator"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["device"].kind is inspect.Parameter.KEYWORD_ONLY

@pytest.mark.parametrize("size,k,n", [(64, 2, 3), ((32, 48), 8, 2), (16, 16, 1 + 0)])
def test_grid_masks_partition(size, k, n):
    if n < 2:
        with pytest.raises(ValueError, match=r"n \(number of disjoint sets\)"): grid_masks(size, k, n)
        return
    m = grid_masks(size, k, n, generator=make_generator(0))
    h, w = (size, size) if isinstance(size, int) else size
    assert m.shape == (n, 1, h, w) and m.dtype == torch.float32
    assert torch.equal((1 - m).sum(0), torch.ones(1, h, w))

def test_grid_masks_seeded_and_device():
    a = grid_masks(32, 4, generator=make_generator(3), device="cpu")
    b = grid_masks(32, 4, generator=make_generator(3))
    assert torch.equal(a, b) and a.device.type == "cpu"

def test_batch_grid_masks_independent_per_image():
    m = batch_grid_masks(4, 16, 4, 2, generator=make_generator(0))
    assert m.shape == (4, 2, 1, 16, 16)
    assert torch.equal((1 - m).sum(1), torch.ones(4, 1, 16, 16))

@pytest.mark.parametrize("args,msg", [((60, 16), "must divide the image size 60x60"), ((16, 3), "must divide"),
                                      ((8, 4, 9), r"in \[2, 4\]"), ((0, 2), "size must be"), ((16, 2.0), "positive int")])
def test_grid_masks_bad_input(args, msg):
    with pytest.raises(ValueError, match=msg): grid_masks(*args)

def test_core_contract(tmp_path):
    assert default_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device"): default_device("gpu0")
    g = seed_everything(1)
    assert isinstance(g, torch.Generator)
    assert torch.equal(torch.rand(3, generator=child_generator(make_generator(2))),
                       torch.rand(3, generator=child_generator(make_generator(2))))
    imgs = smooth_images(2, (16, 24), 1, generator=g)
    assert imgs.shape == (2, 1, 16, 24) and 0 <= imgs.min() and imgs.max() <= 1
    assert overlay(imgs[0], imgs[1]).shape == (16, 24, 3)
    assert show_images(imgs) is not None
    assert (fake_mvtec(tmp_path, "c") / "train" / "good").is_dir()
    assert (fake_visa(tmp_path) / "split_csv" / "1cls.csv").is_file()
