"""The offline docs build (tools/build_docs.py): nbdev's pre-processing, rendered by smalldocs into a temporary folder."""
import base64, importlib.util, json, os, re
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
CDN = re.compile(r"cdn\.jsdelivr|mathjax|katex|unpkg\.com|cdnjs|googleapis", re.I)


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "tools" / "build_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bd = _load_builder()


@pytest.fixture(scope="module")
def in_root():
    "nbdev reads settings.ini from the working directory."
    old = os.getcwd()
    os.chdir(ROOT)
    try: yield ROOT
    finally: os.chdir(old)


@pytest.fixture(scope="module")
def site(in_root, tmp_path_factory):
    "The whole site, built from the notebooks into a temporary folder (never the repo's `_docs/`)."
    tmp = tmp_path_factory.mktemp("docs")
    proc = bd.preprocess(tmp / "proc")
    bd.render(proc, tmp / "site")
    return tmp / "site"


def _page(site, nb): return (site / bd.page_path(nb, NBS)).read_text(encoding="utf-8")
def _chapters(): return [nb for nb in bd.notebooks(NBS) if bd.default_exp(nb)]
def _text(s): return " ".join(re.sub(r"<[^>]+>", " ", s).split())


# ------------------------------------------------------------------ the real site

def test_every_notebook_has_a_page(site):
    nbs = bd.notebooks(NBS)
    assert any(bd.default_exp(nb) == "core" for nb in nbs), "nbs/00_core.ipynb is expected"
    missing = [str(nb.relative_to(NBS)) for nb in nbs if not (site / bd.page_path(nb, NBS)).exists()]
    assert not missing, f"no page for {missing}"


def test_chapter_pages_have_title_and_api_reference(site):
    for nb in _chapters():
        doc, title = _page(site, nb), bd.nb_title(nb)
        h1 = _text(" ".join(re.findall(r"<h1\b.*?</h1>", doc, re.S)))
        assert title and re.sub(r"[`*]", "", title) in h1, f"{nb.name}: H1 {h1!r} lacks {title!r}"
        names = bd.exported_names(ROOT / "inpaint_tutorial", bd.default_exp(nb))
        assert names, f"{nb.name}: its module has no __all__"
        documented = [n for n in names if f'id="{n.lower()}"' in doc.lower()]  # a show_doc heading (ids are lower case)
        assert documented, f"{nb.name}: none of {names} has an API-reference entry"


def test_core_page_embeds_png_figures(site):
    doc = _page(site, NBS / "00_core.ipynb")
    pngs = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"', doc)
    assert pngs, "no PNG figure from 00_core's outputs on the core page"
    assert all(base64.b64decode(p)[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    saved = sum("image/png" in o.get("data", {}) for c in json.loads((NBS / "00_core.ipynb").read_text())["cells"]
                for o in c.get("outputs", []))
    assert len(pngs) == saved, f"{saved} PNG outputs saved in the notebook, {len(pngs)} on the page"


def test_show_doc_signature_and_docstring(site):
    doc = _page(site, NBS / "00_core.ipynb")
    m = re.search(r'<h3[^>]*id="default_device".*?</h3>(.*?)<h[123]', doc, re.S)
    assert m, "no API-reference heading for default_device"
    entry = _text(m.group(1))
    assert "def default_device" in entry and "The device to compute on" in entry


def test_no_page_uses_a_cdn_or_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert pages
    for p in pages:
        doc = p.read_text(encoding="utf-8")
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", doc)   # embedded images: base64 can spell anything
        assert not CDN.search(text), f"{p.name} references a CDN: {CDN.search(text).group(0)}"
        assert not re.search(r'<script\b[^>]*src="(https?:)?//', doc), f"{p.name} loads a remote script"
        assert not re.search(r'<link\b[^>]*href="(https?:)?//', doc), f"{p.name} loads a remote stylesheet"


def test_maths_is_mathml(site):
    doc = _page(site, NBS / "00_core.ipynb")  # its prose has $[0,1]$
    assert "<math " in doc and 'class="math inline"' not in doc


def test_sidebar_links_every_page_and_doc_links_stay_local(site, in_root):
    from nbdev.config import get_config
    cfg = get_config()
    published = f"{cfg.doc_host}{cfg.doc_baseurl}"
    pages = [bd.page_path(nb, NBS) for nb in bd.notebooks(NBS)]
    for page in pages:
        doc = (site / page).read_text(encoding="utf-8")
        hrefs = set(re.findall(r'href="([^"#]*)', doc))
        for other in pages:
            want = os.path.relpath(other, PurePosixPath(page).parent).replace(os.sep, "/")
            assert want in hrefs, f"{page}: no link to {other}"
        assert published + "/" not in doc, f"{page} links to the published site instead of its local pages"


def test_index_page(site):
    if not (NBS / "index.ipynb").exists(): pytest.skip("nbs/index.ipynb is not written yet")
    doc = (site / "index.html").read_text(encoding="utf-8")
    assert bd.nb_title(NBS / "index.ipynb").strip("`*") in doc


def test_verify_passes_and_catches_a_missing_page(site, in_root, tmp_path):
    problems = bd.verify(site)
    if not (NBS / "index.ipynb").exists(): problems = [p for p in problems if "index.html" not in p]
    assert problems == []
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    (broken / "core.html").unlink()
    assert any("00_core.ipynb" in p and "no page" in p for p in bd.verify(broken))


# ------------------------------------------------------------------ the wrapper, on a tiny hand-made project

def test_page_path_follows_nbdev_naming():
    assert bd.page_path("00_core.ipynb") == PurePosixPath("core.html")
    assert bd.page_path("index.ipynb") == PurePosixPath("index.html")
    assert bd.page_path("tutorials/05a_Walk.ipynb") == PurePosixPath("tutorials/walk.html")
    assert bd.page_path(NBS / "tutorials" / "x.ipynb", NBS) == PurePosixPath("tutorials/x.html")


def _nb(cells): return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
def _md(s): return {"cell_type": "markdown", "metadata": {}, "source": s}
def _code(s, outputs=()): return {"cell_type": "code", "metadata": {}, "source": s, "outputs": list(outputs), "execution_count": 1}


def test_render_tiny_project(in_root, tmp_path):
    from nbdev.config import get_config
    cfg = get_config()
    proj = tmp_path / "proc"
    proj.mkdir()
    (proj / "_quarto.yml").write_text((NBS / "_quarto.yml").read_text())
    (proj / "sidebar.yml").write_text("website:\n  sidebar:\n    contents:\n      - index.ipynb\n      - 01_tiny.ipynb\n")
    (proj / "index.ipynb").write_text(_nb([_md("---\ntitle: Home\n---\n"), _md("See [tiny](01_tiny.ipynb).")]))
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()
    (proj / "01_tiny.ipynb").write_text(_nb([
        {"cell_type": "raw", "metadata": {}, "source": "---\ntitle: Tiny\ndescription: A subtitle\noutput-file: tiny.html\n---\n"},
        _md(f"Inline $a^2$ and [`f`]({cfg.doc_host}{cfg.doc_baseurl}/tiny.html#f).\n\n$$\\frac{{1}}{{n}}$$"),
        _code("#| echo: false\nsecret_code()", [{"output_type": "stream", "name": "stdout", "text": "shown output\n"}]),
        _code("#| output: false\nvisible_code()", [{"output_type": "stream", "name": "stdout", "text": "hidden output\n"}]),
        _code("#| include: false\ngone()", [{"output_type": "stream", "name": "stdout", "text": "gone output\n"}]),
        _code("plot()", [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png, "text/plain": "<Figure>"}}]),
        _code("#| output: asis\nshow_doc(f)", [{"output_type": "execute_result", "metadata": {}, "execution_count": 1,
              "data": {"text/markdown": "### f\n\n| arg | doc |\n|---|---|\n| x | the input |\n", "text/plain": "f"}}]),
        _code("explorer", [{"output_type": "display_data", "metadata": {},
              "data": {bd.WIDGET_MIME: {"model_id": "abc", "version_major": 2}, "text/plain": "interactive(children=...)"}}]),
    ]))
    out = tmp_path / "site"
    bd.render(proj, out)
    assert not (out / "01_tiny.html").exists()
    doc = (out / "tiny.html").read_text()
    assert "<h1" in doc and "Tiny" in doc and "A subtitle" in doc
    assert doc.count("<math ") == 2 and 'display="block"' in doc
    assert 'href="tiny.html#f"' in doc                      # the published-site link made local
    assert "shown output" in doc and "secret_code" not in doc  # echo: false
    assert "visible_code" in doc and "hidden output" not in doc  # output: false
    assert "gone" not in _text(doc)                         # include: false
    assert f"data:image/png;base64,{png}" in doc
    assert re.search(r'<h3[^>]*id="f"', doc) and "<table" in doc and "the input" in doc  # markdown output as markdown
    assert 'href="tiny.html"' in (out / "index.html").read_text()  # links to a notebook follow its page name
    assert "widget-note" in doc and "interactive(children" not in doc  # no widget repr; a note instead
    assert not CDN.search(doc)


def test_tex_shown_as_text_is_caught(site):
    "A macro the MathML converter passes through (`\\arg` once did) or a formula it cannot read shows as text: verify names it."
    mathml = bd.tex_to_mathml(r"\arg\max_{k} x")
    assert bd.literal_tex(f"<p>a <span>{mathml}</span></p>") == [r"\arg"]
    fixed = bd.tex_to_mathml(r"\mathop{\mathrm{arg\,max}}_{k} x")
    assert bd.literal_tex(f"<p>{fixed}</p>") == []
    assert bd.literal_tex('<p><code class="math-tex">\\frac{1</code></p>') == ["\\frac{1"]
    assert bd.literal_tex("<p>see <code>\\n</code></p><pre>\\alpha</pre>") == []      # code and output blocks are not prose
    for page in sorted(site.rglob("*.html")):
        assert bd.literal_tex(page.read_text(encoding="utf-8")) == [], page.name
