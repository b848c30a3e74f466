"""Generate README.md from nbs/index.ipynb (the docs front page), without Quarto.

nbdev's own `nbdev_readme` renders through Quarto, which is not always installed; this keeps README.md and the
front page in step everywhere: markdown cells as they are, code cells as fenced Python (nbdev directives removed),
text outputs as fenced text. Cells marked `#| hide`, `#| include: false` or `#| echo: false` are handled as Quarto would.
`python tools/make_readme.py` rewrites README.md; `tools/check_tree.py` fails when README.md differs from this output.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "<!-- Generated from nbs/index.ipynb by tools/make_readme.py (`make readme`): edit the notebook, not this file. -->\n\n"

def _directives(src: str) -> tuple[dict, str]:
    "Split a code cell into its `#| key: value` directives and its code."
    opts, lines = {}, src.splitlines()
    while lines and lines[0].startswith("#|"):
        body = lines.pop(0)[2:].strip()
        key, _, val = body.partition(":") if ":" in body else body.partition(" ")
        opts[key.strip()] = val.strip() or True
    return opts, "\n".join(lines).strip()

def render(nb_path: Path = ROOT / "nbs" / "index.ipynb") -> str:
    parts = [HEADER]
    for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":   # links to other notebooks are relative to nbs/; the README sits one level up
            parts.append(re.sub(r"\]\((?![a-z]+:|#|/)([^)]+\.ipynb)\)", r"](nbs/\1)", src.strip()) + "\n\n")
            continue
        if cell["cell_type"] != "code": continue
        opts, code = _directives(src)
        if "hide" in opts or str(opts.get("include", "")).lower() == "false" or "default_exp" in opts: continue
        if code and str(opts.get("echo", "")).lower() != "false": parts.append(f"```python\n{code}\n```\n\n")
        if str(opts.get("output", "")).lower() == "false": continue
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain")
            if text and "image/png" not in out.get("data", {}):
                text = "".join(text).rstrip()
                if text: parts.append(f"```\n{text}\n```\n\n")
    return re.sub(r"\n{3,}", "\n\n", "".join(parts)).rstrip() + "\n"

if __name__ == "__main__":
    (ROOT / "README.md").write_text(render(), encoding="utf-8")
    print("README.md written from nbs/index.ipynb")
