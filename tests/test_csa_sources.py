"`benchmarks/csa.py`'s score sources: a source naming the model's own score is its plain row; another network is scored without the recorded id."
import importlib.util, sys
from pathlib import Path
from inpaint_tutorial.csa import CSASettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
spec = importlib.util.spec_from_file_location("csa_bench", ROOT / "benchmarks" / "csa.py")
cb = importlib.util.module_from_spec(spec); spec.loader.exec_module(cb)

def trained(variant):
    "The settings of a model trained as `variant`: the frozen network's id recorded, as training records it."
    extra = cb.VARIANTS[variant][1]
    return CSASettings(**extra, feature_id=CSASettings(**extra).extractor().id)

def test_own_score_is_the_plain_row():
    assert cb.source_settings(trained("csa"), "squeezenet-random") is None
    assert cb.source_settings(trained("csa-lite0"), "lite0-imagenet") is None

def test_other_network_and_other_score():
    lite0 = trained("csa-lite0")
    s = cb.source_settings(lite0, "squeezenet-random")          # the Lite0-trained model scored by the paper's network
    assert (s.features, s.feature_weights, s.feature_layer, s.feature_id, s.score) == ("squeezenet1_1", "random", -1, "", "perceptual")
    m = cb.source_settings(lite0, "msgms")                      # a pixel score keeps the model's record
    assert m.score == "msgms" and m.feature_id == lite0.feature_id
    assert cb.source_settings(lite0, "squeezenet-random-max").pool == "max"

def test_default_sources_leave_lite0_out():
    assert "lite0-imagenet" in cb.SOURCES and "lite0-imagenet" not in cb.DEFAULT_SOURCES
    a = cb.parse_args(["--dataset", "elpv"])
    assert "vgg16-random" not in a.sources and a.sources[0] == "squeezenet-random"
