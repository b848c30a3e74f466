"Contract and failure modes of `inpaint_tutorial.data` (the readers of nbs/01_data.ipynb)."
import inspect, sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from inpaint_tutorial.core import fake_mvtec, fake_visa
from inpaint_tutorial.data import (MVTecAD, VisA, FolderDataset, ELPV, SyntheticDefects, Sample, DEFECT_KINDS,
                                   load_image, load_mask, AnomalyDataset)


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def mvtec(tmp_path):
    "A fake MVTec AD category: 6 train; test 2 good, 2 hole, 2 scratch."
    return fake_mvtec(tmp_path, "widget", size=32)


@pytest.fixture
def folders(tmp_path, mvtec):
    "normal/, abnormal/ and masks/ folders built from the fake MVTec category."
    root = tmp_path / "user"
    for d in ("normal", "abnormal", "masks"): (root / d).mkdir(parents=True)
    for i, p in enumerate(sorted(mvtec.glob("train/good/*.png"))):
        (root / "normal" / f"n{i}.png").write_bytes(p.read_bytes())
    for i, p in enumerate(sorted(mvtec.glob("test/hole/*.png"))):
        (root / "abnormal" / f"a{i}.png").write_bytes(p.read_bytes())
        (root / "masks" / f"a{i}_mask.png").write_bytes((mvtec / "ground_truth" / "hole" / f"{p.stem}_mask.png").read_bytes())
    return root


def check_sample(s, size, channels):
    assert isinstance(s, Sample)
    assert s.image.shape == (channels, *size) and s.image.dtype == torch.float32
    assert 0 <= s.image.min() and s.image.max() <= 1
    assert s.mask.shape == (1, *size) and s.mask.dtype == torch.float32
    assert set(s.mask.unique().tolist()) <= {0.0, 1.0}
    assert s.label in (0, 1) and isinstance(s.label, int)
    assert isinstance(s.defect, str) and isinstance(s.path, str)
    assert (s.defect == "good") == (s.label == 0)
    if s.label == 0: assert s.mask.sum() == 0


# ---------------------------------------------------------------- contract
def test_signatures():
    for cls in (MVTecAD, VisA, FolderDataset, ELPV, SyntheticDefects):
        params = inspect.signature(cls).parameters
        assert {"split", "size", "channels"} <= set(params), cls
        assert params["split"].default == "train"
        assert issubclass(cls, torch.utils.data.Dataset) and issubclass(cls, AnomalyDataset)
    assert inspect.signature(ELPV).parameters["seed"].default == 0
    assert list(inspect.signature(FolderDataset).parameters)[:3] == ["normal_dir", "abnormal_dir", "mask_dir"]
    assert list(inspect.signature(VisA).parameters)[:2] == ["root", "object"]
    assert Sample._fields == ("image", "mask", "label", "defect", "path")
    assert DEFECT_KINDS == ("scratch", "spot", "patch", "shift")


def test_mvtec_contract(mvtec):
    train, test = MVTecAD(mvtec.parent, "widget", "train", size=16), MVTecAD(mvtec.parent, "widget", "test", size=(16, 24))
    assert (len(train), len(test)) == (6, 6)
    assert test.labels == [0, 0, 1, 1, 1, 1] and test.defects == ["good", "good", "hole", "hole", "scratch", "scratch"]
    assert train.has_masks and test.has_masks
    for s in (train[0], *[test[i] for i in range(len(test))]): check_sample(s, s.image.shape[-2:], 3)
    assert test[0].image.shape[-2:] == (16, 24)
    assert all(test[i].mask.sum() > 0 for i in range(2, 6))
    assert test[3].path == str(mvtec / "test" / "hole" / "001.png")


def test_grayscale_policy(tmp_path):
    cat = fake_mvtec(tmp_path, "screw", size=32, channels=1)
    assert MVTecAD(tmp_path, "screw", size=32)[0].image.shape == (1, 32, 32)
    assert MVTecAD(tmp_path, "screw", size=32, channels=3)[0].image.shape == (3, 32, 32)
    cv2.imwrite(str(cat / "test" / "good" / "001.png"), np.zeros((32, 32, 3), np.uint8))  # a stray RGB file
    assert MVTecAD(tmp_path, "screw", "test", size=32)[1].image.shape == (1, 32, 32)


def test_rgba_and_16bit(tmp_path):
    cv2.imwrite(str(tmp_path / "rgba.png"), np.full((6, 7, 4), (0, 128, 255, 7), np.uint8))
    img = load_image(tmp_path / "rgba.png")
    assert img.shape == (3, 6, 7)
    torch.testing.assert_close(img[:, 0, 0], torch.tensor([255, 128, 0]) / 255)
    cv2.imwrite(str(tmp_path / "g16.png"), np.full((6, 7), 30000, np.uint16))
    torch.testing.assert_close(load_image(tmp_path / "g16.png"), torch.full((1, 6, 7), 30000 / 65535))
    cv2.imwrite(str(tmp_path / "c16.tif"), np.full((6, 7, 3), (65535, 0, 0), np.uint16))  # BGR: pure blue
    torch.testing.assert_close(load_image(tmp_path / "c16.tif")[:, 0, 0], torch.tensor([0., 0., 1.]))


@pytest.mark.parametrize("ext", [".jpg", ".bmp", ".tif", ".PNG"])
def test_mvtec_extensions(tmp_path, ext):
    fake_mvtec(tmp_path, "widget", size=32, ext=ext)
    ds = MVTecAD(tmp_path, "widget", "test", size=32, check=True)
    assert len(ds) == 6 and ds.items[0].image.endswith(ext)


def test_visa_contract(tmp_path):
    root = fake_visa(tmp_path, "candle", size=32, n_normal=6, n_anomaly=2, mask_value=1)
    fake_visa(tmp_path, "pcb1", size=32, seed=1)
    train, test = VisA(root, "candle", "train", size=32), VisA(root, "candle", "test", size=32)
    assert (len(train), len(test)) == (3, 5) and test.labels == [0, 0, 0, 1, 1]
    s = test[3]
    check_sample(s, (32, 32), 3)
    assert s.defect == "anomaly" and s.mask.sum() > 0  # value-1 masks binarised


def test_folder_contract(folders):
    kw = dict(normal_dir=folders / "normal", abnormal_dir=folders / "abnormal", mask_dir=folders / "masks", size=32)
    train, test = FolderDataset(split="train", **kw), FolderDataset(split="test", **kw)
    assert (len(train), len(test)) == (5, 1 + 2)  # round(0.2 * 6) = 1 held out
    assert test.labels == [0, 1, 1] and test.defects == ["good", "abnormal", "abnormal"]
    assert not {it.image for it in train.items} & {it.image for it in test.items}
    assert all(it.label == 0 for it in train.items)  # abnormal images never in train
    assert test[1].mask.sum() > 0 and test.has_masks
    nomask = FolderDataset(folders / "normal", folders / "abnormal", split="test", size=32)
    assert not nomask.has_masks and nomask[2].mask.sum() == 0 and nomask[2].label == 1
    other = FolderDataset(split="test", seed=3, **kw)
    assert [it.image for it in FolderDataset(split="test", **kw).items] == [it.image for it in test.items]
    assert len(other) == len(test)


def test_synthetic_contract():
    train, test = SyntheticDefects("train", size=32, n_train=8), SyntheticDefects("test", size=32, n_test=16)
    assert (len(train), len(test)) == (8, 16) and sum(train.labels) == 0 and sum(test.labels) == 8
    for i in range(len(test)): check_sample(test[i], (32, 32), 1)
    assert set(test.defects[8:]) == set(DEFECT_KINDS)
    assert all(test[i].mask.sum() > 0 for i in range(8, 16))
    again = SyntheticDefects("test", size=32, n_test=16)
    assert torch.equal(again.images, test.images) and torch.equal(again.masks, test.masks)
    assert SyntheticDefects("test", size=32, n_test=4, defects=("spot",)).defects == ["good", "good", "spot", "spot"]


def test_dataloader_batches_samples(mvtec):
    for ds in (MVTecAD(mvtec.parent, "widget", "test", size=16), SyntheticDefects("test", size=32, n_test=8)):
        b = next(iter(DataLoader(ds, batch_size=4)))
        assert isinstance(b, Sample)
        assert b.image.shape[0] == 4 and b.mask.shape == (4, 1, *b.image.shape[-2:])
        assert b.label.tolist() == ds.labels[:4] and list(b.defect) == ds.defects[:4] and len(b.path) == 4


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, msg", [(dict(split="val"), "split must be 'train' or 'test'"),
                                     (dict(size=0), "size must be a positive int"),
                                     (dict(size=(32, -1)), "size must be a positive int"),
                                     (dict(size=32.0), "size must be a positive int"),
                                     (dict(channels=2), "channels must be None")])
def test_bad_arguments(mvtec, folders, kw, msg):
    with pytest.raises(ValueError, match=msg): MVTecAD(mvtec.parent, "widget", **kw)
    with pytest.raises(ValueError, match=msg): FolderDataset(folders / "normal", **kw)
    with pytest.raises(ValueError, match=msg): SyntheticDefects(**kw)


def test_missing_folders(tmp_path, mvtec):
    with pytest.raises(FileNotFoundError, match="expected the MVTec AD layout"): MVTecAD(tmp_path / "nope", "widget")
    with pytest.raises(FileNotFoundError, match="bottle does not exist"): MVTecAD(mvtec.parent, "bottle")
    with pytest.raises(FileNotFoundError, match="split_csv"): VisA(tmp_path, "candle")
    with pytest.raises(FileNotFoundError, match="normal_dir"): FolderDataset(tmp_path / "nope")


def test_wrong_layout_and_empty_folder(tmp_path, mvtec):
    (mvtec / "train" / "good").rename(mvtec / "train" / "ok")
    with pytest.raises(FileNotFoundError, match=r"train/good does not exist; expected the MVTec AD layout"):
        MVTecAD(mvtec.parent, "widget")
    (mvtec / "train" / "good").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no images .* found in .*train/good"): MVTecAD(mvtec.parent, "widget")


def test_corrupt_image(mvtec):
    bad = mvtec / "test" / "scratch" / "001.png"
    bad.write_bytes(b"\x89PNG garbage" * 5)
    ds = MVTecAD(mvtec.parent, "widget", "test", size=32)
    with pytest.raises(ValueError, match=f"cannot decode image file {bad}"): ds[5]
    with pytest.raises(ValueError, match="001.png"): ds.verify()
    with pytest.raises(ValueError, match="001.png"): MVTecAD(mvtec.parent, "widget", "test", check=True)
    ds[0]  # the other samples still load


def test_missing_mask(mvtec, folders, tmp_path):
    (mvtec / "ground_truth" / "scratch" / "000_mask.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"no mask for anomalous image .*scratch/000\.png: expected .*ground_truth/scratch/000_mask\.png"):
        MVTecAD(mvtec.parent, "widget", "test")
    (folders / "masks" / "a1_mask.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"a1\.png: expected .*a1\.png or .*a1_mask\.png"):
        FolderDataset(folders / "normal", folders / "abnormal", folders / "masks", split="test")
    root = fake_visa(tmp_path / "visa", "candle", size=32)
    (root / "candle" / "Data" / "Masks" / "Anomaly" / "001.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"no mask for anomalous image .*Anomaly/001\.JPG: expected .*Masks/Anomaly/001\.png"):
        VisA(root, "candle", "test")


def test_mask_size_mismatch(mvtec):
    m = mvtec / "ground_truth" / "hole" / "000_mask.png"
    cv2.imwrite(str(m), np.zeros((10, 12), np.uint8))
    ds = MVTecAD(mvtec.parent, "widget", "test", size=32)
    with pytest.raises(ValueError, match=f"mask {m} is 10x12") as e: ds[2]
    assert str(mvtec / "test" / "hole" / "000.png") in str(e.value)


def test_visa_unknown_object(tmp_path):
    root = fake_visa(tmp_path, "candle", size=32)
    with pytest.raises(ValueError, match=r"object 'cashew' is not in .*candle"): VisA(root, "cashew")


def test_synthetic_bad_arguments():
    with pytest.raises(ValueError, match="size >= 32"): SyntheticDefects(size=16)
    with pytest.raises(ValueError, match="defects must be"): SyntheticDefects(defects=("crack",))
    with pytest.raises(ValueError, match="texture must be"): SyntheticDefects(texture="wood")


# ---------------------------------------------------------------- ELPV (uses the module cache: one ~5 s load)
def test_elpv_protocol():
    pytest.importorskip("elpv_dataset")
    train, test = ELPV("train", size=32), ELPV("test", size=32)
    assert (len(train), len(test), sum(test.labels)) == (1206, 1123, 821)
    assert not set(train.indices) & set(test.indices)
    assert not ELPV.has_masks and not test.has_masks
    s = test[test.labels.index(1)]
    check_sample(s, (32, 32), 1)
    assert s.defect == "defective" and s.path.startswith("elpv:") and s.mask.sum() == 0
    small = ELPV("test", size=32, max_test=10, seed=1)
    assert len(small) == 10 and 0 < sum(small.labels) < 10
    assert list(small.indices) == list(ELPV("test", size=32, max_test=10, seed=1).indices)
    assert len(ELPV("train", max_train=5)) == 5
    b = next(iter(DataLoader(small, batch_size=10)))
    assert b.image.shape == (10, 1, 32, 32) and b.label.sum() == sum(small.labels)


def test_elpv_missing_package(monkeypatch):
    import inpaint_tutorial.builtin_data as builtin_data
    monkeypatch.setattr(builtin_data, "_ELPV_CACHE", {})
    monkeypatch.setitem(sys.modules, "elpv_dataset.utils", None)
    with pytest.raises(ImportError, match=r'pip install "inpaint_tutorial\[elpv\]"'): ELPV()
