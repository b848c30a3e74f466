"""Every registered method through the one method interface: settings, networks, stages, detection, checkpoints that load
in a fresh process, the command line; the import order of the modules; checkpoints of the first release."""
import ast, json, math, re, shutil, subprocess, sys, textwrap
from dataclasses import dataclass, fields
from pathlib import Path
import pytest
import torch
from safetensors.torch import save_file
from inpaint_tutorial.core import make_generator, fake_mvtec
from inpaint_tutorial.data import SyntheticDefects
from inpaint_tutorial.method import (Detection, Method, Settings, SettingsError, Stage, setting, list_methods, get_method,
                                     register_method, check_size, model_config, build_model, evaluating, forward_chunked)
from inpaint_tutorial.training import save_checkpoint, load_checkpoint
from inpaint_tutorial.unet import UNet
from inpaint_tutorial import cli

ROOT = Path(__file__).resolve().parents[1]
METHODS = list_methods()          # the built-in methods; a method registered later by a test is not parametrised
EXE = shutil.which("inpaint-tutorial") or str(Path(sys.executable).parent / "inpaint-tutorial")
SMOKE = ["--size", "32", "--epochs", "2", "--steps-per-epoch", "2", "--quiet"]

def images(c, b=2, size=32, seed=1): return torch.rand(b, c, size, size, generator=make_generator(seed))

def prepared(m, c=1, size=32):
    "The method's default settings, prepared for a small training set (as the pipeline does before building)."
    return m.prepare(m.Settings(), SyntheticDefects("train", size=size, n_train=8, channels=c))

def built(m, s, c=1, size=32):
    "The method's network with its closed-form stages run on a few normal images (e.g. I3AD's calibration), ready to detect."
    net = m.build(s, c)
    for st in m.stages(s):
        if st.estimate is not None: st.estimate(net, SyntheticDefects("train", size=size, n_train=8, channels=c, seed=3), device="cpu", bs=4)
    return net

def smoke_size(m, s, net) -> int:
    "The smallest image side of at least 32 px that is two or more of the method's size multiples (a grid of cells fits)."
    k = m.size_multiple(s, net)
    return k * max(2, math.ceil(32 / k))

def test_builtin_methods_are_registered():
    assert METHODS == ["riad", "pixelstats", "ae", "ipad", "csa", "i3ad", "patchcore", "featinpaint"]   # chapter order

@pytest.mark.parametrize("name", METHODS)
def test_settings_round_trip_json_and_refuse_bad_values(name):
    m = get_method(name)
    s = m.Settings()
    assert m.Settings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    for f in fields(m.Settings):
        with pytest.raises(SettingsError, match=f.name): m.Settings(**{f.name: object()})
    with pytest.raises(SettingsError, match="unknown setting"): m.Settings.from_dict({"no_such_setting": 1})
    assert all(row["doc"] for row in m.Settings.describe())

@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("c", [1, 3])
def test_build_and_detect(name, c):
    m = get_method(name); s = prepared(m, c)
    net = built(m, s, c)
    assert isinstance(net.config, dict) and isinstance(net.size_multiple, int)
    assert model_config(build_model(model_config(net))) == model_config(net)
    size = smoke_size(m, s, net)
    check_size(m, s, net, size)
    x = images(c, size=size)
    det = m.detect(net, x, s, generator=make_generator(0))
    assert isinstance(det, Detection)
    assert det.anomaly_map.shape == (2, 1, size, size) and det.score.shape == (2,)
    assert det.recon.ndim == 5 and det.recon.shape[0] == 2 and det.recon.shape[2:] == (c, size, size)
    assert torch.isfinite(det.anomaly_map).all() and torch.isfinite(det.score).all()
    if m.map_range is not None:
        lo, hi = m.map_range
        assert lo <= det.anomaly_map.min() and det.anomaly_map.max() <= hi
    again = m.detect(net, x, s, generator=make_generator(0))
    assert torch.equal(det.score, again.score) and torch.equal(det.anomaly_map, again.anomaly_map)

@pytest.mark.parametrize("name", METHODS)
def test_every_stage_gives_a_finite_loss_and_gradients(name):
    m = get_method(name); s = prepared(m)
    net = m.build(s, 1)
    stages = m.stages(s)
    assert stages and all(isinstance(st, Stage) for st in stages)
    for st in stages:
        module = st.module(net) if st.module else net
        if st.estimate is not None:   # a closed-form stage: it must change the network's state, to finite values
            before = {k: v.clone() for k, v in module.state_dict().items()}
            st.estimate(module, SyntheticDefects("train", size=32, n_train=8), device="cpu", bs=4)
            after = module.state_dict()
            assert all(torch.isfinite(v.double()).all() for v in after.values())
            assert any(not torch.equal(before[k], after[k]) for k in before)
            continue
        module.train(); module.zero_grad()
        torch.manual_seed(0)
        loss = st.step(module, images(1, b=3), generator=make_generator(2))
        assert loss.ndim == 0 and torch.isfinite(loss)
        loss.backward()
        params = list(st.params(module)) if st.params else [p for p in module.parameters() if p.requires_grad]
        grads = [p.grad for p in params if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)

FRESH = """
import json, sys, torch
from inpaint_tutorial.training import load_checkpoint
assert not any(k in sys.modules for k in ("inpaint_tutorial.riad", "inpaint_tutorial.ipad", "inpaint_tutorial.misf", "inpaint_tutorial.baselines")), "imported too early"
from inpaint_tutorial.method import method_from_config
from inpaint_tutorial.core import make_generator
model, cfg, _ = load_checkpoint(sys.argv[1])
method, settings = method_from_config(cfg)
x = torch.load(sys.argv[2])
print(json.dumps(dict(method=method.name, cls=type(model).__module__ + "." + type(model).__name__,
                      score=method.detect(model.eval(), x, settings, generator=make_generator(0)).score.tolist())))
"""

def fresh_load(path, x_path):
    r = subprocess.run([sys.executable, "-c", FRESH, str(path), str(x_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])

@pytest.mark.parametrize("name", METHODS)
def test_checkpoint_loads_in_a_fresh_process_with_the_same_scores(name, tmp_path):
    m = get_method(name); s = prepared(m)
    torch.manual_seed(0)
    net = built(m, s).eval()
    size = smoke_size(m, s, net)
    save_checkpoint(tmp_path / "ck", net, {**m.record(s), "size": size, "channels": 1})
    x = images(1, size=size); torch.save(x, tmp_path / "x.pt")
    out = fresh_load(tmp_path / "ck", tmp_path / "x.pt")
    assert out["method"] == name and out["cls"] == f"{type(net).__module__}.{type(net).__name__}"
    assert out["score"] == m.detect(net, x, s, generator=make_generator(0)).score.tolist()

@pytest.mark.parametrize("name", METHODS)
def test_cli_train_evaluate_predict(name, tmp_path):
    cat = fake_mvtec(tmp_path, "widget", size=64, n_train=6, defects={"scratch": 2})
    m = get_method(name); s = prepared(m, 3)
    size = str(smoke_size(m, s, m.build(s, 3)))
    r = subprocess.run([EXE, "train", "--dataset", f"mvtec:{cat}", "--method", name, "--out", tmp_path / "run",
                        *[size if a == "32" else a for a in SMOKE]],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert (cfg["method"], cfg["method_version"], cfg["method_module"]) == (name, get_method(name).version, get_method(name).module)
    for cmd in (["evaluate", "--checkpoint", tmp_path / "run", "--out", tmp_path / "ev"],
                ["predict", cat / "test" / "scratch", "--checkpoint", tmp_path / "run", "--out", tmp_path / "pr"]):
        r = subprocess.run([EXE, *map(str, cmd), "--method", name], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
    a = json.loads((tmp_path / "run" / "metrics.json").read_text()); b = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert a["image_auroc"] == b["image_auroc"]

# --- a method that is not shipped: its chapter would be this block, plus one registration line ---
@dataclass(frozen=True)
class AESettings(Settings):
    width:int = setting(4, "channels of the first U-Net level", lo=1, hi=64)
    depth:int = setting(3, "U-Net levels", lo=2, hi=5)

def ae_detect(model, images, s, *, generator=None, max_batch=None):
    with evaluating(model): recon = forward_chunked(model, images, max_batch)
    amap = (images - recon).abs().mean(1, keepdim=True)
    return Detection(amap, amap.flatten(1).amax(1), recon[:, None])

def ae_step(model, images, *, generator=None): return (model(images) - images).abs().mean()

AE = Method("toy-ae", "a plain U-Net autoencoder (test only)", AESettings, build=lambda s, c: UNet(c, width=s.width, depth=s.depth),
            stages=lambda s: [Stage("fit", ae_step, opt=dict(betas=(0.5, 0.999)))], detect=ae_detect)

def test_a_new_method_needs_one_registration_line(tmp_path, capsys):
    register_method(AE)                                                            # the one line
    assert "toy-ae" in list_methods()
    cat = fake_mvtec(tmp_path, "widget", size=64, n_train=6, defects={"scratch": 2})
    assert cli.main(["train", "--dataset", f"mvtec:{cat}", "--method", "toy-ae", "--width", "8", "--out", str(tmp_path / "run"),
                     *SMOKE]) == 0
    cfg = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert cfg["settings"] == {"width": 8, "depth": 3} and cfg["train"]["opt"] == {"betas": [0.5, 0.999]}
    assert cli.main(["evaluate", "--checkpoint", str(tmp_path / "run"), "--out", str(tmp_path / "ev")]) == 0
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["n_test"] == 4
    assert cli.main(["methods"]) == 0 and "toy-ae" in capsys.readouterr().out
    with pytest.raises(SystemExit): cli.main(["train", "--method", "toy-ae", "--help"])
    assert "channels of the first U-Net level" in capsys.readouterr().out
    assert cli.main(["train", "--dataset", f"mvtec:{cat}", "--method", "toy-ae", "--size", "34", "--out", str(tmp_path / "bad")]) == 2
    assert "image size 34 must be a multiple of 4" in capsys.readouterr().err and not (tmp_path / "bad").exists()

# --- checkpoints written by release 0.0.1 (configs as it wrote them; weights from the network they describe) ---
LEGACY = ROOT / "tests" / "fixtures" / "legacy_configs"

def write_legacy(name, folder):
    cfg = json.loads((LEGACY / f"{name}.json").read_text())
    torch.manual_seed(0)
    net = build_model(cfg["model"])
    folder.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(folder / "model.safetensors"), metadata={"format": cfg["format"]})
    (folder / "config.json").write_text(json.dumps(cfg))
    return net.eval(), cfg

@pytest.mark.parametrize("name,score_region", [("riad", "valid"), ("riad_misf", "valid"), ("ipad", "valid"), ("riad_before_score_region", "full")])
def test_release_0_0_1_checkpoints_load_and_migrate(name, score_region, tmp_path):
    net, old = write_legacy(name, tmp_path / "ck")
    model, cfg, _ = load_checkpoint(tmp_path / "ck")
    method = get_method(old["method"])
    assert cfg["method_version"] == method.version and cfg["settings"]["score_region"] == score_region
    assert cfg["model"]["class"] in ("UNet", "MISF", "IPAD")        # the recorded class is read as it was written
    s = method.Settings.from_dict(cfg["settings"])
    x = images(3)
    assert torch.equal(method.detect(model, x, s, generator=make_generator(0)).score, method.detect(net, x, s, generator=make_generator(0)).score)
    x_path = tmp_path / "x.pt"; torch.save(images(3), x_path)
    assert fresh_load(tmp_path / "ck", x_path)["method"] == old["method"]

def test_newer_or_unknown_method_version_is_refused_in_one_line(tmp_path):
    write_legacy("riad", tmp_path / "ck")
    cfg = json.loads((tmp_path / "ck" / "config.json").read_text())
    for change, needle in (({"method_version": 99}, "written by riad version 99; this release reads riad versions up to 2"),
                           ({"method": "vae"}, "unknown method 'vae': choose one of riad, pixelstats, ae, ipad"),
                           ({"settings": {**cfg["settings"], "n": 1}}, "n must be an int in [2, 64], got 1")):
        (tmp_path / "ck" / "config.json").write_text(json.dumps({**cfg, **change}))
        with pytest.raises(ValueError, match=re.escape(needle)): load_checkpoint(tmp_path / "ck")
        r = subprocess.run([EXE, "evaluate", "--checkpoint", str(tmp_path / "ck"), "--out", str(tmp_path / "ev")], capture_output=True, text=True)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr and not (tmp_path / "ev").exists()

@pytest.mark.parametrize("argv,needle", [
    (["train", "--dataset", "synthetic", "--method", "vae"], "unknown method 'vae': choose one of riad, pixelstats, ae, ipad"),
    (["train", "--dataset", "synthetic", "--backbone", "vgg"], "unknown backbone 'vgg': choose one of unet, misf"),
    (["train", "--dataset", "synthetic", "--n", "x"], "n must be an int in [2, 64], got 'x'"),
    (["train", "--dataset", "synthetic", "--method", "ipad", "--score-region", "inner"], "score_region must be one of 'valid', 'full'")])
def test_bad_method_input_is_one_line_and_writes_nothing(argv, needle, tmp_path):
    r = subprocess.run([EXE, *argv, "--out", str(tmp_path / "x")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert needle in r.stderr.strip().splitlines()[-1] and not (tmp_path / "x").exists()

def test_cli_lists_methods_and_their_flags():
    r = subprocess.run([EXE, "methods"], capture_output=True, text=True)
    assert r.returncode == 0 and re.search(r"^\s+riad\s+RIAD", r.stdout, re.M) and re.search(r"^\s+ipad\s+IPAD", r.stdout, re.M)
    r = subprocess.run([EXE, "train", "--method", "ipad", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--disc-preset" in r.stdout and "discriminative U-Net" in r.stdout

# --- the import order: a module imports only modules of earlier chapters, and no private names of another module ---
def chapter_of() -> dict:
    out = {}
    for nb in (ROOT / "nbs").glob("[0-9]*.ipynb"):
        src = "".join(json.loads(nb.read_text())["cells"][0]["source"])
        mod = re.search(r"default_exp\s+(\S+)", src).group(1)
        num, letter = re.match(r"(\d+)([a-z]?)_", nb.name).groups()
        out[mod] = (int(num), letter)
    return out

def test_modules_import_down_the_chapter_order_and_no_private_names():
    chapters, bad = chapter_of(), []
    for py in (ROOT / "inpaint_tutorial").glob("*.py"):
        if py.stem in ("__init__", "_modidx"): continue
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("inpaint_tutorial")):
                names = [node.module.split(".")[-1]] if node.module and node.module != "inpaint_tutorial" else [a.name for a in node.names]
                for target in names:
                    if target in chapters and chapters[target] >= chapters[py.stem]: bad.append(f"{py.stem} imports {target}")
                if node.module and node.module != "inpaint_tutorial":
                    bad += [f"{py.stem} imports private {a.name} from {node.module}" for a in node.names if a.name.startswith("_")]
    assert not bad, bad

def test_no_method_module_imports_another_method_module():
    "What methods share lives below them (04a_method, 04b_inpainting, 09a_backbones): a method's module imports no other method's module."
    from inpaint_tutorial.method import list_methods, get_method
    method_modules = {get_method(n).module.split(".")[-1] for n in list_methods() if get_method(n).module.startswith("inpaint_tutorial.")}
    bad = []
    for name in method_modules:
        for node in ast.walk(ast.parse((ROOT / "inpaint_tutorial" / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("inpaint_tutorial")):
                targets = [node.module.split(".")[-1]] if node.module and node.module != "inpaint_tutorial" else [a.name for a in node.names]
                bad += [f"{name} imports {t}" for t in targets if t in method_modules and t != name]
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
                bad += [f"{name} imports {a.value}" for a in node.args if isinstance(a, ast.Constant) and a.value.split(".")[-1] in method_modules]
    assert len(method_modules) >= 6 and not bad, bad


def test_builtin_methods_are_found_without_a_list(tmp_path):
    "A fresh process that imported nothing finds every method and backbone the package ships, in chapter order."
    import subprocess, sys, json
    code = ("import json; from inpaint_tutorial.method import get_method, list_methods, list_backbones; "
            "m = get_method('featinpaint'); print(json.dumps([m.name, list_methods(), list_backbones()]))")
    name, methods, backbones = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert name == "featinpaint"
    assert methods == ["riad", "pixelstats", "ae", "ipad", "csa", "i3ad", "patchcore", "featinpaint"]
    assert backbones == ["unet", "misf", "csa"]
