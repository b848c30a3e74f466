"""inpaint_tutorial.metrics: the contract (names, signatures, return types), agreement with scikit-learn and with
brute-force definitions, edge cases, and the errors bad input must raise."""
import inspect
import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, roc_auc_score
from scipy import ndimage
from inpaint_tutorial.core import make_generator
from inpaint_tutorial.metrics import (BINS, MAX_PIXELS, METRICS, PixelAccumulator, aupro, evaluate, f1_max,
                                      fake_anomaly_maps, format_summary, image_auroc, pixel_auroc, pro_curve, summarize)


# ---------- helpers: definitions written independently of the module ----------

def brute_aupro(maps, masks, fpr_limit=0.3):
    "PRO and FPR at every distinct score straight from the definition, then a clipped trapezoid."
    maps = np.asarray(maps, float).reshape(-1, *np.shape(maps)[-2:])
    masks = np.asarray(masks).reshape(-1, *np.shape(masks)[-2:]).astype(bool)
    regions = []
    for x, m in zip(maps, masks):
        lab, n = ndimage.label(m, structure=np.ones((3, 3)))
        regions += [x[lab == r] for r in range(1, n + 1)]
    normal = maps[~masks]
    pts = [(0.0, 0.0)] + [((normal >= t).mean(), np.mean([(r >= t).mean() for r in regions])) for t in np.unique(maps)[::-1]]
    area = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if x0 >= fpr_limit: break
        if x1 > fpr_limit: x1, y1 = fpr_limit, y0 + (y1 - y0) * (fpr_limit - x0) / (x1 - x0)
        area += (x1 - x0) * (y0 + y1) / 2
    return area / fpr_limit


@pytest.fixture(scope="module")
def blobs():
    maps, masks, labels = fake_anomaly_maps(24, 64, generator=make_generator(0))
    return maps, masks, labels


# ---------- contract ----------

def test_public_signatures():
    assert list(inspect.signature(image_auroc).parameters) == ["scores", "labels"]
    p = inspect.signature(pixel_auroc).parameters
    assert list(p)[:2] == ["maps", "masks"] and p["max_pixels"].kind is inspect.Parameter.KEYWORD_ONLY
    assert p["max_pixels"].default == MAX_PIXELS and p["bins"].default == BINS
    p = inspect.signature(aupro).parameters
    assert list(p) == ["maps", "masks", "fpr_limit"] and p["fpr_limit"].default == 0.3
    assert list(inspect.signature(f1_max).parameters) == ["scores", "labels"]
    p = inspect.signature(evaluate).parameters
    assert list(p)[:4] == ["scores", "labels", "maps", "masks"] and p["maps"].default is None
    assert p["fpr_limit"].kind is inspect.Parameter.KEYWORD_ONLY and p["fpr_limit"].default == 0.3
    p = inspect.signature(PixelAccumulator).parameters
    assert list(p)[:3] == ["lo", "hi", "bins"]
    assert METRICS == ("image_auroc", "pixel_auroc", "aupro", "f1_max")


def test_return_types(blobs):
    maps, masks, labels = blobs
    scores = maps.amax((1, 2, 3))
    for v in (image_auroc(scores, labels), pixel_auroc(maps, masks), aupro(maps, masks)):
        assert type(v) is float and 0 <= v <= 1
    f, t = f1_max(scores, labels)
    assert type(f) is float and type(t) is float
    fpr, pro = pro_curve(maps, masks)
    assert fpr[0] == pro[0] == 0 and fpr[-1] == pro[-1] == 1
    assert (np.diff(fpr) >= 0).all() and (np.diff(pro) >= -1e-15).all()
    r = evaluate(scores, labels, maps, masks)
    assert set(r) == {"image_auroc", "f1_max", "f1_threshold", "pixel_auroc", "aupro"}
    assert all(type(v) is float for v in r.values())
    assert set(evaluate(scores, labels)) == {"image_auroc", "f1_max", "f1_threshold"}


def test_inputs_torch_numpy_and_layouts_agree(blobs):
    maps, masks, labels = blobs
    ref_px, ref_pro = pixel_auroc(maps, masks), aupro(maps, masks)
    for m, k in [(maps.numpy(), masks.numpy()), (maps[:, 0], masks[:, 0]), (maps.double(), masks.bool()),
                 (maps, masks.to(torch.uint8))]:
        assert pixel_auroc(m, k) == ref_px
        assert aupro(m, k) == pytest.approx(ref_pro, abs=1e-12)
    assert pixel_auroc(maps.half(), masks) == pytest.approx(ref_px, abs=1e-3)     # float16 is accepted (converted to float32)
    assert image_auroc(maps.amax((1, 2, 3)).numpy(), labels.numpy()) == image_auroc(maps.amax((1, 2, 3)), labels)


# ---------- against scikit-learn ----------

@pytest.mark.parametrize("decimals", [None, 1, 0])
def test_image_auroc_matches_sklearn(decimals):
    rng = np.random.default_rng(3)
    for _ in range(25):
        n = int(rng.integers(2, 400)); y = rng.integers(0, 2, n); y[:2] = [0, 1]
        s = rng.normal(size=n) + y
        if decimals is not None: s = np.round(s, decimals)     # ties, down to a handful of distinct values
        assert image_auroc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_image_auroc_extremes():
    y = np.array([0, 1, 0, 1, 1]); s = np.array([0.1, 0.9, 0.2, 0.8, 0.7])
    assert image_auroc(s, y) == 1.0 and image_auroc(-s, y) == 0.0 and image_auroc(np.zeros(5), y) == 0.5
    assert image_auroc(torch.sigmoid(torch.tensor([40., 50, 41, 49, 48])), y) == 0.5   # the sigmoid trap
    assert image_auroc(torch.tensor([40., 50, 41, 49, 48]), y) == 1.0


def test_pixel_auroc_exact_and_binned_vs_sklearn(blobs):
    maps, masks, _ = blobs
    ref = roc_auc_score(masks.flatten().numpy(), maps.flatten().numpy())
    assert pixel_auroc(maps, masks) == pytest.approx(ref, abs=1e-12)
    binned = pixel_auroc(maps, masks, max_pixels=0)
    bound = PixelAccumulator(float(maps.min()), float(maps.max()), BINS, pro=False).update(maps, masks).auroc_error_bound()
    assert abs(binned - ref) <= bound < 1e-4
    assert abs(pixel_auroc(maps, masks, max_pixels=0, bins=10_000) - ref) < 1e-4


def test_pixel_auroc_constant_map_binned():
    masks = np.zeros((2, 8, 8)); masks[0, 2:4, 2:4] = 1
    assert pixel_auroc(np.ones((2, 8, 8)), masks, max_pixels=0) == 0.5 == pixel_auroc(np.ones((2, 8, 8)), masks)


def test_f1_max_matches_brute_force():
    rng = np.random.default_rng(4)
    for trial in range(20):
        n = int(rng.integers(2, 60)); y = rng.integers(0, 2, n); y[:2] = [0, 1]
        s = np.round(rng.normal(size=n) + y, 1 if trial % 2 else 5)
        f, t = f1_max(s, y)
        assert f == pytest.approx(max(f1_score(y, s >= u) for u in np.unique(s)), abs=1e-12)
        assert f1_score(y, s >= t) == pytest.approx(f, abs=1e-12)


# ---------- AUPRO ----------

def test_aupro_matches_brute_force_with_ties():
    rng = np.random.default_rng(5)
    for trial in range(15):
        n, h, w = int(rng.integers(1, 4)), int(rng.integers(4, 10)), int(rng.integers(4, 10))
        mk = (rng.random((n + 1, 1, h, w)) < 0.2).astype(np.float32); mk[0, 0, 0, 0] = 1; mk[-1] = 0
        mp = np.round(rng.normal(size=mk.shape) + mk, 1 if trial % 2 else 2)
        for a in (0.01, 0.3, 0.77, 1.0):
            assert aupro(mp, mk, a) == pytest.approx(brute_aupro(mp, mk, a), abs=1e-6)


def test_aupro_known_values():
    mk = np.zeros((3, 12, 12)); mk[0, 1:4, 1:4] = 1; mk[1, 5:11, 6:9] = 1
    assert aupro(mk, mk) == 1.0
    assert aupro(np.full_like(mk, -3.0), mk) == pytest.approx(0.15, abs=1e-12)
    assert aupro(np.full_like(mk, -3.0), mk, fpr_limit=0.5) == pytest.approx(0.25, abs=1e-12)
    assert aupro(1 - mk, mk) == 0.0
    # one region found, one missed: PRO = 1/2 everywhere, whatever their sizes
    mp = np.where(mk == 1, -1.0, 0.0); mp[0, 1:4, 1:4] = 5.0
    assert aupro(mp, mk) == pytest.approx(0.5, abs=1e-12)
    # 8-connectivity: a diagonal pair is one region
    mk = np.zeros((1, 6, 6)); mk[0, 1, 1] = mk[0, 2, 2] = mk[0, 4, 5] = 1
    mp = np.zeros_like(mk); mp[0, 1, 1] = mp[0, 4, 5] = 1.0; mp[0, 2, 2] = -1.0
    assert aupro(mp, mk) == pytest.approx(0.75, abs=1e-12)


def test_aupro_in_unit_interval_and_invariant(blobs):
    maps, masks, _ = blobs
    v = aupro(maps, masks)
    assert 0 < v < 1
    assert aupro(2 * maps.double() + 5, masks) == pytest.approx(v, abs=1e-12)   # float64: exact, no new ties
    rng = np.random.default_rng(6)
    for _ in range(20):
        mk = (rng.random((2, 7, 7)) < rng.uniform(0.05, 0.9)).astype(float); mk[0, 0, 0] = 1; mk[1, 0, 0] = 0
        for a in (0.05, 0.3, 1.0):
            assert 0 <= aupro(rng.normal(size=mk.shape), mk, a) <= 1


# ---------- streaming ----------

def test_accumulator_chunks_equal_one_shot_and_bounds(blobs):
    maps, masks, _ = blobs
    lo, hi = np.floor(float(maps.min())), np.ceil(float(maps.max()))
    acc = PixelAccumulator(lo, hi)
    for i in range(0, len(maps), 5): acc.update(maps[i:i + 5], masks[i:i + 5])
    one = PixelAccumulator(lo, hi).update(maps, masks)
    assert np.array_equal(acc.neg, one.neg) and np.array_equal(acc.pos, one.pos) and acc.n_regions == one.n_regions
    assert acc.auroc() == one.auroc() and acc.aupro() == pytest.approx(one.aupro(), abs=1e-12)
    assert abs(acc.auroc() - pixel_auroc(maps, masks)) <= acc.auroc_error_bound() < 1e-4
    assert abs(acc.aupro() - aupro(maps, masks)) <= acc.aupro_error_bound() < 1e-3
    assert acc.n_out == 0 and int(acc.pos.sum() + acc.neg.sum()) == maps.numel()


def test_accumulator_bounds_hold_on_coarse_grids():
    rng = np.random.default_rng(7)
    for _ in range(20):
        mk = (rng.random((3, 9, 9)) < 0.25).astype(float); mk[0, 0, 0] = 1; mk[2] = 0
        mp = np.round(rng.normal(size=mk.shape) + mk, 1)
        for bins in (2, 8, 64):
            a = PixelAccumulator(mp.min(), mp.max(), bins).update(mp, mk)
            assert abs(a.auroc() - pixel_auroc(mp, mk)) <= a.auroc_error_bound() + 1e-12
            for lim in (0.2, 0.3, 1.0):
                assert abs(a.aupro(lim) - aupro(mp, mk, lim)) <= a.aupro_error_bound(lim) + 1e-12


def test_accumulator_counts_out_of_range(blobs):
    maps, masks, _ = blobs
    acc = PixelAccumulator(0.0, 0.5).update(maps, masks)
    assert acc.n_out == int(((maps < 0) | (maps > 0.5)).sum()) > 0
    assert 0 <= acc.auroc() <= 1 and 0 <= acc.aupro() <= 1


# ---------- evaluate / summarize ----------

def test_evaluate_and_summarize(blobs):
    maps, masks, labels = blobs
    a = evaluate(maps.amax((1, 2, 3)), labels, maps, masks)
    b = evaluate(maps.amax((1, 2, 3)), labels)
    s = summarize({"x": a, "y": b})
    assert s["mean"]["image_auroc"] == pytest.approx(a["image_auroc"])
    assert s["std"]["image_auroc"] == 0.0
    assert s["mean"]["aupro"] == a["aupro"] and s["n"]["aupro"] == 1 and s["n"]["image_auroc"] == 2
    c = dict(a, image_auroc=0.5)
    s = summarize({"x": a, "z": c})
    assert s["mean"]["image_auroc"] == pytest.approx((a["image_auroc"] + 0.5) / 2)
    assert s["std"]["image_auroc"] == pytest.approx(abs(a["image_auroc"] - 0.5) / 2)
    table = format_summary(s)
    assert table.splitlines()[0].startswith("| category | image_auroc") and "| mean |" in table and "| std |" in table


# ---------- errors ----------

@pytest.mark.parametrize("fn,msg", [
    (lambda: image_auroc([1., 2.], [1, 1]), "found 2 anomalous and 0 normal"),
    (lambda: image_auroc([1., 2., 3.], [1, 0]), r"shapes \(3,\) and \(2,\)"),
    (lambda: image_auroc([1., 2.], [0, 3]), r"found values \[0, 3\]"),
    (lambda: image_auroc([1., np.nan], [0, 1]), "1 NaN"),
    (lambda: image_auroc(np.zeros((2, 2)), np.zeros((2, 2))), "1-D"),
    (lambda: f1_max([1., 2.], [0, 0]), "found 0 anomalous"),
    (lambda: pixel_auroc(np.zeros((2, 4, 4)), np.zeros((2, 4, 4))), "found 0 anomalous and 32 normal pixels"),
    (lambda: pixel_auroc(np.zeros((2, 4, 4)), np.zeros((2, 1, 4, 4))), r"maps \(2, 4, 4\) and masks \(2, 1, 4, 4\)"),
    (lambda: pixel_auroc(np.zeros((2, 4, 4)), np.full((2, 4, 4), 255)), r"found values \[255\].*divide by 255"),
    (lambda: pixel_auroc(np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 4, 4))), "one channel"),
    (lambda: aupro(np.zeros((2, 4, 4)), np.zeros((2, 4, 4))), "found 0 anomalous"),
    (lambda: aupro(np.zeros((2, 4, 4)), np.ones((2, 4, 4))), "0 normal pixels"),
    (lambda: aupro(np.zeros((2, 4, 4)), np.eye(4)[None].repeat(2, 0), fpr_limit=0), r"fpr_limit must be a number in \(0, 1\]"),
    (lambda: aupro(np.zeros((2, 4, 4)), np.eye(4)[None].repeat(2, 0), fpr_limit=1.01), "fpr_limit"),
    (lambda: aupro(np.zeros((2, 4, 4)), 0.5 * np.eye(4)[None].repeat(2, 0)), r"found values \[0.0, 0.5\]"),
    (lambda: PixelAccumulator(2.0, 1.0), "need finite lo < hi"),
    (lambda: PixelAccumulator(0.0, np.inf), "need finite lo < hi"),
    (lambda: PixelAccumulator(0.0, 1.0, bins=1), "bins must be"),
    (lambda: PixelAccumulator(0.0, 1.0).aupro(), "found 0 anomalous and 0 normal"),
    (lambda: evaluate([1., 2.], [0, 1], np.zeros((2, 4, 4))), "both maps and masks"),
    (lambda: evaluate([1., 2.], [0, 1], np.zeros((3, 4, 4)), np.zeros((3, 4, 4))), "3 maps for 2 image scores"),
    (lambda: summarize({}), "at least one category"),
    (lambda: summarize({"mean": {"image_auroc": 1.0}}), "reserved"),
])
def test_errors(fn, msg):
    with pytest.raises(ValueError, match=msg): fn()


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="real numbers"): image_auroc(np.array(["a", "b"]), [0, 1])
