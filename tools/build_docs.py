"""Offline build of the documentation site: `.venv/bin/python tools/build_docs.py` (what `make docs` runs).

1. nbdev's own docs pre-processing writes `_proc/` (processed notebooks with the `show_doc` API reference
   inserted and run, plus `_quarto.yml`, `nbdev.yml`, `sidebar.yml`, `styles.css`). It repeats
   `nbdev.quarto._pre_docs` step by step *without* `_ensure_quarto()`: with no `quarto` on PATH that
   helper tries to download Quarto and then runs `pip install -e ".[dev]"`, which must not happen here.
   Processing is always from scratch, so a deleted notebook leaves no stale page.
2. smalldocs (pure Python, MIT) renders the `_proc/` Quarto project, `_quarto.yml` unchanged, into
   `_docs/`. Evaluated against nbdev's output it renders prose, code, saved text and PNG outputs
   (as data URIs), the show_doc markdown, the sidebar and a local search, so this file stays a thin
   wrapper. It adds what smalldocs lacks for nbdev: pages are named as Quarto names them (nbdev's
   `output-file`, e.g. `00_core.ipynb` -> `core.html`); links to the published site become relative
   links; maths is converted to MathML with latex2mathml (as `html-math-method: mathml` asks)
   instead of smalldocs's KaTeX from a CDN, so the site works with no network; and an ipywidgets
   output becomes a short note instead of its text repr (a widget needs a kernel).
3. The site is verified (a page per notebook, titles and exported names on chapter pages, no external
   scripts or stylesheets); any problem exits non-zero.

Users who have Quarto keep using `nbdev_docs` / `nbdev_preview`: nothing here changes the standard config.
"""
from __future__ import annotations

import ast, html, json, os, re, shutil, sys, time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
SKIP_RE = re.compile(r"^[_.]")  # nbdev and Quarto leave out files and folders starting with `_` or `.`


class DocsError(Exception):
    "The docs site could not be built or is incomplete."


# ------------------------------------------------------------------ notebooks and their pages

def notebooks(nbs_path: Path) -> list[Path]:
    "Every notebook that gets a page: `*.ipynb` under `nbs_path`, none under a `_` or `.` name."
    nbs_path = Path(nbs_path)
    return sorted(p for p in nbs_path.rglob("*.ipynb")
                  if not any(SKIP_RE.match(part) for part in p.relative_to(nbs_path).parts))


def page_path(nb: Path | str, nbs_path: Path | str | None = None) -> PurePosixPath:
    "The page of notebook `nb`, relative to the site root, named as nbdev tells Quarto (`00_core.ipynb` -> `core.html`)."
    from nbdev.doclinks import _nbpath2html  # nbdev's own rule: lower case, number prefix dropped
    nb = Path(nb)
    rel = nb.relative_to(nbs_path) if nbs_path is not None and nb.is_absolute() else nb
    return PurePosixPath(_nbpath2html(PurePosixPath(rel.as_posix())).as_posix())


def _cells(nb: Path) -> list[dict]:
    return json.loads(Path(nb).read_text(encoding="utf-8"))["cells"]


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def default_exp(nb: Path) -> str | None:
    "The module a notebook exports (`#| default_exp name`), or None."
    for c in _cells(nb):
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", _src(c), re.M)
        if c["cell_type"] == "code" and m: return m.group(1)
    return None


def nb_title(nb: Path) -> str | None:
    "The notebook's H1 title, from its first markdown cell with a `# ` heading."
    for c in _cells(nb):
        if c["cell_type"] != "markdown": continue
        m = re.search(r"^#\s+(.+?)\s*$", _src(c), re.M)
        if m: return m.group(1)
    return None


def exported_names(lib_path: Path, module: str) -> list[str]:
    "The `__all__` of `lib_path/<module>.py`, read without importing it."
    py = Path(lib_path) / (module.replace(".", "/") + ".py")
    if not py.exists(): return []
    for node in ast.parse(py.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            try: return [str(n) for n in ast.literal_eval(node.value)]
            except ValueError: return []
    return []


# ------------------------------------------------------------------ step 1: nbdev pre-processing

def preprocess(proc_dir: Path | str | None = None, n_workers: int | None = None) -> Path:
    "Run nbdev's docs pre-processing (as `nbdev_proc_nbs`, with no Quarto install) into `proc_dir` (default `_proc/`), from scratch."
    from fastcore.parallel import parallel
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    from nbdev.quarto import nbdev_sidebar, refresh_quarto_yml
    from nbdev.serve import _proc_file
    import nbdev.serve_drv

    cfg = get_config()
    path = cfg.nbs_path
    proc = Path(proc_dir) if proc_dir else cfg.config_path / "_proc"
    # the steps of nbdev.quarto._pre_docs, less _ensure_quarto() and less _build_modidx(): the docs build must not
    # rewrite the committed inpaint_tutorial/_modidx.py; nbdev_export writes the same file and the hygiene check
    # (`nbdev_export` changes nothing) keeps it current
    refresh_quarto_yml()                       # writes nbs/nbdev.yml (keeps nbs/_quarto.yml)
    nbdev_sidebar.__wrapped__(path=path)       # writes nbs/sidebar.yml
    # the steps of nbdev.serve.proc_nbs, into `proc` and always from scratch (no stale pages of deleted notebooks)
    shutil.rmtree(proc, ignore_errors=True)
    proc.mkdir(parents=True)
    files = nbglob(path, func=Path, file_glob="", file_re="")
    for extra in ("_quarto.yml", "_brand.yml"):
        if (path / extra).exists(): files.append(path / extra)
    if (path / "_extensions").exists():
        files.extend(nbglob(path / "_extensions", func=Path, file_glob="", file_re="", skip_file_re="^[.]"))
    jobs = files.map(_proc_file, cache=proc, path=path).filter()  # copies plain files, returns the notebooks to run
    n_workers = n_workers or min(len(jobs), os.cpu_count() or 1)
    try:
        parallel(nbdev.serve_drv.main, jobs, n_workers=n_workers, pause=0.01, method="spawn")
    except Exception as e:
        raise DocsError(f"nbdev's pre-processing of the notebooks failed: {e}\n(nbdev runs the show_doc and export cells and every cell "
                        "that contains an import statement, in a fresh namespace: keep imports in cells of their own, "
                        "see STYLE.md; `nbdev_docs` fails the same way)") from e
    missing = [str(d) for s, d, _ in jobs if not d.exists()]
    if missing: raise DocsError(f"nbdev's pre-processing wrote no output for: {', '.join(missing)}")
    return proc


# ------------------------------------------------------------------ step 2: render with smalldocs

_MATH = re.compile(r'<span class="math (inline|display)">\\[(\[](.*?)\\[)\]]</span>', re.S)


def tex_to_mathml(tex: str, display: bool = False) -> str:
    "MathML for a TeX formula; the TeX in a `<code>` when latex2mathml cannot read it."
    from latex2mathml.converter import convert
    try: return convert(tex, display="block" if display else "inline")
    except Exception: return f'<code class="math-tex">{html.escape(tex)}</code>'


def _site_class():
    from smalldocs.site import Site

    class NbdevSite(Site):
        "smalldocs' Site with Quarto's page names, local links to the published site's pages, and MathML."
        def __init__(self, project, site_url: str = "", **kw):
            super().__init__(project, **kw)
            self.site_url = site_url.rstrip("/")

        def read(self, src):
            page = super().read(src)
            if src.suffix == ".ipynb":  # Quarto names the page by nbdev's `output-file` front matter
                page.out = src.parent / str(page.front.get("output-file") or page_path(src).name)
            return page

        def find_page(self, target):
            found = super().find_page(target)
            if found is None and target.suffix == ".html":  # a link to an output name, e.g. core.html
                found = next((p for p in self.pages.values() if p.out == target), None)
            return found

        def resolve(self, href, page, record=True):
            if self.site_url and href and href.startswith(self.site_url + "/"):
                href = href[len(self.site_url):]  # nbdev's doc links point at the published site: keep them local
            return super().resolve(href, page, record)

        def render_page(self, page):
            super().render_page(page)
            if self.site_url:  # nbdev also links names inside docment comments of show_doc signatures, where no link can be
                page.html = re.sub(r"\[`([^`<>\]]+)`\]\(" + re.escape(self.site_url) + r"/[^)\s\"<>]*\)", r"`\1`", page.html)
            page.html = _MATH.sub(lambda m: tex_to_mathml(html.unescape(m.group(2)), m.group(1) == "display"), page.html)
            page.env["math"] = False  # no KaTeX from a CDN: the browser draws MathML itself

    return NbdevSite


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<em>An interactive widget (ipywidgets) is here in the notebook: it needs a running kernel, "
               "so open the notebook in Jupyter to use it.</em>")


@contextmanager
def _widget_notes():
    "While rendering, show a note for an ipywidgets output with no picture, instead of its text repr (`interactive(...)`)."
    import smalldocs.notebook as sn
    orig = sn.output_html  # what smalldocs' `to_markdown` calls for each stored output
    def output_html(out, opts=None, n=0):
        data = out.get("data") or {}
        if WIDGET_MIME in data and not any(m.startswith("image/") for m in data):
            return sn.raw_html(f'<div class="cell-output cell-output-display widget-note"><p>{WIDGET_NOTE}</p></div>')
        return orig(out, opts, n)
    sn.output_html = output_html
    try: yield
    finally: sn.output_html = orig


def render(proc_dir: Path | str, out_dir: Path | str, quiet: bool = True):
    "Render the Quarto project in `proc_dir` into the static site `out_dir` with smalldocs; returns the smalldocs Site."
    from nbdev.config import get_config
    from smalldocs.config import BuildError, ConfigError, load
    cfg = get_config()
    try: project = load(proc_dir)
    except ConfigError as e: raise DocsError(f"smalldocs could not read {proc_dir}/_quarto.yml: {e}") from e
    site = _site_class()(project, site_url=f"{cfg.get('doc_host', '')}{cfg.get('doc_baseurl', '')}", quiet=quiet)
    site.out = Path(out_dir).resolve()
    try:
        with _widget_notes(): site.build()
    except (BuildError, ConfigError) as e: raise DocsError(f"smalldocs could not render {proc_dir}: {e}") from e
    return site


# ------------------------------------------------------------------ step 3: verify

_EXTERNAL = re.compile(r'<(?:script|iframe)\b[^>]*\bsrc="(?:https?:)?//[^"]*"|<link\b[^>]*\bhref="(?:https?:)?//[^"]*"', re.I)


def _text(s: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", s)).split())


_CODE = re.compile(r"<(pre|code|script|style)\b.*?</\1>", re.S | re.I)
_TEX_COMMAND = re.compile(r"\\[A-Za-z]{2,}")


def literal_tex(doc: str) -> list[str]:
    "TeX commands shown as text on a page (maths the converter could not read, or a macro it passed through), code excluded."
    unread = re.findall(r'<code class="math-tex">(.*?)</code>', doc, re.S)           # tex_to_mathml's fallback
    return sorted(set(_TEX_COMMAND.findall(_text(_CODE.sub(" ", doc))) + [html.unescape(t)[:60] for t in unread]))


def verify(out_dir: Path | str, nbs_path: Path | str | None = None, lib_path: Path | str | None = None) -> list[str]:
    "Problems with the site in `out_dir`: missing pages, chapter pages without their title or API reference, external scripts, TeX shown as text."
    from nbdev.config import get_config
    cfg = get_config()
    out, nbs_path = Path(out_dir), Path(nbs_path or cfg.nbs_path)
    lib_path = Path(lib_path or cfg.lib_path)
    problems = []
    if not (out / "index.html").exists():
        problems.append(f"{out}/index.html is missing (is there an nbs/index.ipynb?)")
    for nb in notebooks(nbs_path):
        rel, page = nb.relative_to(nbs_path), out / page_path(nb, nbs_path)
        if not page.exists():
            problems.append(f"{rel}: no page {page}"); continue
        doc = page.read_text(encoding="utf-8")
        mod = default_exp(nb)
        if mod is None: continue
        title = nb_title(nb)
        h1 = " ".join(_text(h) for h in re.findall(r"<h1\b.*?</h1>", doc, re.S))
        if not title: problems.append(f"{rel}: the chapter has no '# Title' markdown cell")
        elif re.sub(r"[`*]", "", title) not in h1:
            problems.append(f"{rel}: {page.name} has no H1 title {title!r} (found {h1!r})")
        names = exported_names(lib_path, mod)
        if not names:
            problems.append(f"{rel}: {lib_path.name}/{mod.replace('.', '/')}.py has no __all__ (run nbdev_export)")
        elif not any(f'id="{n.lower()}"' in doc.lower() for n in names):
            problems.append(f"{rel}: {page.name} documents none of {mod}.__all__ ({', '.join(names[:5])}, ...): no show_doc API reference")
    for page in sorted(out.rglob("*.html")):
        doc = page.read_text(encoding="utf-8")
        ext = _EXTERNAL.findall(doc)
        if ext: problems.append(f"{page.relative_to(out)} loads from the network: {ext[0][:120]}")
        tex = literal_tex(doc)
        if tex: problems.append(f"{page.relative_to(out)} shows TeX as text: {', '.join(tex[:5])} (write maths the MathML converter reads)")
    return problems


# ------------------------------------------------------------------ the whole build

# smalldocs notes that are expected for an nbdev project: handled above, or only for Quarto's other outputs
_HANDLED = ("output-file is not read", "html-math-method is ignored", "format commonmark is not built", "keep-md is ignored")


def build(out_dir: Path | str | None = None, proc_dir: Path | str | None = None, quiet: bool = True) -> dict:
    "Pre-process, render and verify; raise DocsError naming every problem. Returns counts and timings."
    from nbdev.config import get_config
    cfg = get_config()
    out = Path(out_dir) if out_dir else cfg.doc_path
    t0 = time.perf_counter()
    proc = preprocess(proc_dir)
    t1 = time.perf_counter()
    site = render(proc, out, quiet=quiet)
    t2 = time.perf_counter()
    problems = verify(out)
    if problems: raise DocsError("the docs site is incomplete:\n  - " + "\n  - ".join(problems))
    notes = [w for w in site.warnings if not any(k in w for k in _HANDLED)]
    return dict(out=out, pages=len(site.pages), warnings=notes, t_proc=t1 - t0, t_render=t2 - t1, t_total=time.perf_counter() - t0)


def main() -> int:
    os.chdir(ROOT)  # nbdev finds settings.ini from the working directory
    t0 = time.perf_counter()
    try: r = build()
    except DocsError as e:
        print(f"docs: FAILED: {e}", file=sys.stderr)
        return 1
    for w in r["warnings"]: print(f"docs: note (smalldocs): {w}", file=sys.stderr)
    out = os.path.relpath(r["out"], ROOT)
    print(f"docs: {r['pages']} pages written to {out}/ in {time.perf_counter() - t0:.1f}s "
          f"(nbdev pre-processing {r['t_proc']:.1f}s, smalldocs render {r['t_render']:.1f}s); verified")
    return 0


if __name__ == "__main__":  # the guard matters: nbdev's pre-processing starts worker processes with `spawn`
    sys.exit(main())
