"`benchmarks/five_methods.py --merge` and `benchmarks/real_data.py --merge`: seed-parts of one comparison become one result file, re-summarised; other comparisons are refused."
import importlib.util, json, sys
from pathlib import Path
import pytest
from inpaint_tutorial.method import SettingsError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
spec = importlib.util.spec_from_file_location("five_methods", ROOT / "benchmarks" / "five_methods.py")
fm = importlib.util.module_from_spec(spec); spec.loader.exec_module(fm)
HOST = "Linux-6.1-build{} | x86_64 | python 3.11.7 | torch 2.14.1 | torch threads 1 | device cpu"

def part(tmp, seeds, aurocs, *, host=1, budget=6.0, methods=("a", "b"), complete=True, name=None):
    "A result file as `five_methods.py --seeds SEEDS` writes it: `aurocs[m][i]` is method m's image AUROC for the i-th seed."
    rows = [dict(method=m, runs=[dict(image_auroc=v, f1_max=0.9, f1_trivial=0.8, train_min=budget, epochs=3, infer_ms=10.0)
                                 for v in aurocs[j]]) for j, m in enumerate(methods)]
    res = dict(title=f"elpv: 128x128 px (WxH), {budget:g} min of training per run, seeds {','.join(map(str, seeds))}, default settings",
               machine=HOST.format(host), size=[128, 128], budget_min=budget, picks=[0, 1], complete=complete, rows=rows,
               command=f"python benchmarks/five_methods.py --seeds {','.join(map(str, seeds))}")
    p = tmp / (name or f"s{'_'.join(map(str, seeds))}.json"); p.write_text(json.dumps(res)); return p

def test_merge_orders_seeds_and_resummarises(tmp_path):
    a = part(tmp_path, [2], [[0.7], [0.5]], host=2)
    b = part(tmp_path, [0, 1], [[0.6, 0.8], [0.4, 0.6]])
    res = fm.merge([a, b], tmp_path / "m.json", [])
    assert "seeds 0,1,2," in res["title"] and [r["seed"] for r in res["rows"][0]["runs"]] == [0, 1, 2]
    assert res["rows"][0]["mean"]["image_auroc"] == pytest.approx(0.7) and res["rows"][1]["std"]["image_auroc"] == pytest.approx(0.1)
    assert len(res["machines"]) == 2 and len(res["parts"]) == 2
    assert json.loads((tmp_path / "m.json").read_text())["rows"][0]["mean"] == res["rows"][0]["mean"]
    again = fm.merge([tmp_path / "m.json", part(tmp_path, [3], [[0.9], [0.9]])], tmp_path / "m2.json", [])   # a merged file merges again
    assert [r["seed"] for r in again["rows"][1]["runs"]] == [0, 1, 2, 3] and len(again["parts"]) == 3

@pytest.mark.parametrize("kw, msg", [(dict(seeds=[0]), "more than once"), (dict(budget=8.0), "budget_min"),
                                     (dict(methods=("a", "c")), "other methods"), (dict(complete=False), "interrupted")])
def test_merge_refuses_another_comparison(tmp_path, kw, msg):
    a = part(tmp_path, [0], [[0.6], [0.4]], name="a.json")
    b = part(tmp_path, **({"seeds": [1]} | kw), aurocs=[[0.7], [0.5]], name="b.json")
    with pytest.raises(ValueError, match=msg): fm.merge([a, b], tmp_path / "m.json", [])
    assert not (tmp_path / "m.json").exists()   # nothing written

def test_merge_refuses_another_kind_of_machine(tmp_path):
    a = part(tmp_path, [0], [[0.6], [0.4]])
    b = json.loads(part(tmp_path, [1], [[0.7], [0.5]]).read_text())
    b["machine"] = b["machine"].replace("threads 1", "threads 2"); (tmp_path / "b.json").write_text(json.dumps(b))
    with pytest.raises(ValueError, match="another kind of machine"): fm.merge([a, tmp_path / "b.json"], tmp_path / "m.json", [])

rd_spec = importlib.util.spec_from_file_location("real_data", ROOT / "benchmarks" / "real_data.py")
rd = importlib.util.module_from_spec(rd_spec); rd_spec.loader.exec_module(rd)

def rd_part(tmp, seed, auroc, *, complete=None, budget=30):
    "A result file as `real_data.py --seeds SEED` writes it: its title ends with the seeds; older files have no `complete`."
    res = dict(title=f"ball_screw: 448x192 px (WxH), {budget} min of training per run, batch 8, lr 0.001, patience 20, seeds {seed}",
               machine=HOST.format(1), rows=[dict(method="ae", runs=[dict(image_auroc=auroc, pixel_auroc=auroc, f1_max=0.9,
                                                                          f1_trivial=0.8, train_min=budget, epochs=3, infer_ms=10.0)])],
               command=f"python benchmarks/real_data.py --seeds {seed}")
    if complete is not None: res["complete"] = complete
    p = tmp / f"rd{seed}_{budget}.json"; p.write_text(json.dumps(res)); return p

def test_real_data_merge(tmp_path, capsys):
    a, b = rd_part(tmp_path, 1, 0.8, complete=True), rd_part(tmp_path, 0, 0.6)
    rd.main(["--merge", f"{a},{b}", "--out", str(tmp_path / "m.json")])
    res = json.loads((tmp_path / "m.json").read_text())
    assert res["title"].endswith("patience 20, seeds 0,1") and res["complete"] and len(res["parts"]) == 2
    assert res["rows"][0]["mean"]["pixel_auroc"] == pytest.approx(0.7) and [r["seed"] for r in res["rows"][0]["runs"]] == [0, 1]
    assert "| ae | 2 | 0.700 +- 0.141 | 0.700 +- 0.141 |" in capsys.readouterr().out   # the markdown table of the merged file
    for bad, msg in [(rd_part(tmp_path, 2, 0.7, complete=False), "interrupted"), (rd_part(tmp_path, 2, 0.7, budget=8), "another comparison")]:
        with pytest.raises(SystemExit, match=msg): rd.main(["--merge", f"{a},{bad}", "--out", str(tmp_path / "bad.json")])
    assert not (tmp_path / "bad.json").exists()

def test_rescorings_and_labels():
    "`--rescore`: a score is offered to the methods that have it and are not trained with it; weights only where a method has `score_weights`."
    from inpaint_tutorial.method import get_method
    riad, csa, pc = get_method("riad"), get_method("csa"), get_method("patchcore")
    items = ["perceptual", "perceptual:random", "msgms", "ssim"]
    assert fm.rescorings(riad, riad.Settings(), items) == {"perceptual": dict(score="perceptual"),
                                                           "perceptual:random": dict(score="perceptual", score_weights="random")}
    assert fm.rescorings(csa, csa.Settings(), items) == {"msgms": dict(score="msgms"), "ssim": dict(score="ssim")}
    assert fm.rescorings(pc, pc.Settings(), items) == {}
    assert fm.label("riad-unet@perceptual:random") == "RIAD, U-Net, scored by perceptual (random weights)"
    assert fm.label("csa@msgms") == fm.LABELS["csa"] + ", scored by msgms" and fm.label("ae") == fm.LABELS["ae"]
    assert fm.label("csa-random", dict(features="squeezenet1_1", feature_weights="random")) == "CSA (random squeezenet1_1)"   # the run's own network
    # FIELD=VALUE: any setting the method has, parsed as the command line parses it; not offered where it changes nothing
    assert fm.rescorings(pc, pc.Settings(), ["top_k=10", "top_k=1", "score=msgms"]) == {"top_k=10": dict(top_k=10)}
    assert fm.rescorings(riad, riad.Settings(), ["top_k=10"]) == {}
    both = "normalize=position+top_k=10"                                     # several settings at once, joined by +
    assert fm.rescorings(pc, pc.Settings(), [both]) == {both: dict(normalize="position", top_k=10)}
    assert fm.rescorings(pc, pc.Settings(), ["top_k=1+normalize=none"]) == {}   # both the defaults: no extra row
    assert fm.rescorings(riad, riad.Settings(), [both]) == {}                 # RIAD has neither
    with pytest.raises(SettingsError, match="top_k must be"): fm.rescorings(pc, pc.Settings(), ["top_k=0"])
    assert fm.label("patchcore-lite2-32@top_k=10") == fm.LABELS["patchcore-lite2-32"] + ", top_k 10"
    assert fm.label("patchcore@normalize=position+top_k=10") == fm.LABELS["patchcore"] + ", normalize position, top_k 10"
    assert fm.label("featinpaint-var-pos@normalize=none") == fm.LABELS["featinpaint-var-pos@normalize=none"]   # a name of its own
    assert fm.label("featinpaint-var-pos@sigma=2") == fm.LABELS["featinpaint-var-pos"] + ", sigma 2"

def test_merge_joins_parts_that_ran_other_methods(tmp_path):
    "Parts that ran the same seeds with disjoint methods become one table; their seed-0 showcase maps are combined."
    import numpy as np
    a = part(tmp_path, [0, 1], [[0.6, 0.8], [0.4, 0.6]], name="a.json")
    b = part(tmp_path, [0, 1], [[0.9, 0.7]], methods=("c",), name="b.json")
    img = np.zeros((2, 1, 4, 4), np.uint8)
    for p, ms in ((a, ("a", "b")), (b, ("c",))):
        np.savez(p.with_name(p.stem + "_maps.npz"), images=img, methods=np.array(ms),
                 **{f"map_{m}": img for m in ms}, **{f"score_{m}": np.ones(2) for m in ms})
    res = fm.merge([a, b], tmp_path / "m.json", [])
    assert [r["method"] for r in res["rows"]] == ["a", "b", "c"] and res["rows"][2]["mean"]["image_auroc"] == pytest.approx(0.8)
    assert "seeds 0,1," in res["title"] and [r["seed"] for r in res["rows"][2]["runs"]] == [0, 1]
    d = np.load(tmp_path / "m_maps.npz")
    assert list(d["methods"]) == ["a", "b", "c"] and "map_c" in d.files
    c = part(tmp_path, [1], [[0.9]], methods=("c",), name="c.json")          # other seeds and other methods: neither kind of part
    with pytest.raises(ValueError, match="other methods"): fm.merge([a, c], tmp_path / "x.json", [])

def test_merge_only_some_methods(tmp_path):
    "--merge-methods: the rows of the variants named (and their rescored rows) from parts that also ran others."
    a = part(tmp_path, [0], [[0.6], [0.4], [0.5]], methods=("a", "a@perceptual", "b"), name="a.json")
    b = part(tmp_path, [1], [[0.8], [0.6]], methods=("a", "a@perceptual"), name="b.json")
    with pytest.raises(ValueError, match="other methods"): fm.merge([a, b], tmp_path / "m.json", [])
    res = fm.merge([a, b], tmp_path / "m.json", [], only=["a"])
    assert [r["method"] for r in res["rows"]] == ["a", "a@perceptual"] and res["rows"][0]["mean"]["image_auroc"] == pytest.approx(0.7)
    with pytest.raises(ValueError, match="no rows of"): fm.merge([a, b], tmp_path / "m.json", [], only=["b"])

def test_every_variant_has_valid_settings_and_a_label():
    from inpaint_tutorial.method import get_method
    for name, (method, overrides) in fm.VARIANTS.items():
        s = get_method(method).Settings(**overrides)                     # checked when made: a bad override raises here
        assert all(getattr(s, k) == (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items()), name
        assert name in fm.LABELS, f"variant {name} has no label"
    assert all(row.partition("@")[0] in fm.VARIANTS for row in fm.LABELS)   # a rescored row's own name belongs to a variant

def test_seeds_are_a_field_of_the_result_file(tmp_path):
    "New result files carry `seeds`; merging reads it first (the title's seeds are the fallback for older files) and writes it."
    a = part(tmp_path, [0], [[0.6], [0.4]])
    b = part(tmp_path, [1], [[0.8], [0.6]])
    d = json.loads(b.read_text()); d["seeds"] = [1]; d["title"] = d["title"].replace(", seeds 1", ""); b.write_text(json.dumps(d))
    res = fm.merge([a, b], tmp_path / "m.json", [])
    assert res["seeds"] == [0, 1] and [r["seed"] for r in res["rows"][0]["runs"]] == [0, 1]
    d["seeds"] = ["1"]; b.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="seeds field must be a list of ints"): fm.merge([a, b], tmp_path / "m2.json", [])
    assert not (tmp_path / "m2.json").exists()

def test_ensemble_rows(tmp_path):
    "--ensemble: the mean of rows' maps as a row of its own (the same row twice: the member's maps, so its pixel metrics); a raw-distance member is refused, and recorded so."
    out = tmp_path / "r.json"
    same, raw = "patchcore@normalize=position/patchcore@normalize=position", "patchcore/patchcore@normalize=position"
    fm.main(["--dataset", "synthetic", "--methods", "patchcore", "--seeds", "0", "--budget", "1", "--rescore", "normalize=position",
             "--ensemble", f"{same},{raw}", "--out", str(out)])
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    one, ens = rows["patchcore@normalize=position"], rows[same]
    assert ens["mean"]["pixel_auroc"] == pytest.approx(one["mean"]["pixel_auroc"]) and ens["mean"]["aupro"] == pytest.approx(one["mean"]["aupro"])
    assert ens["runs"][0]["train_min"] == pytest.approx(2 * one["runs"][0]["train_min"]) and ens["runs"][0]["settings"] == dict(top_k=1)
    assert "standardised by grid position" in rows[raw]["error"]
    assert fm.label(same) == "mean of the maps of " + " and ".join([fm.label("patchcore@normalize=position")] * 2)
    for bad in ("patchcore@normalize=position", "patchcore/ae"):   # one row; a row of a method not run
        with pytest.raises(SystemExit): fm.parse_args(["--methods", "patchcore", "--ensemble", bad])
