"""Check that every figure quoted in BENCHMARKS.md is found in the committed file its section names.

BENCHMARKS.md is split into sections at its headings. A section's sources are the result files
(`benchmarks/results/*.json`) and notebooks (`nbs/**/*.ipynb`) named in it or in the sections above it. Every decimal
number in the section's text (tables and prose; not inside `code spans`, which hold commands and settings) must equal a
number of its sources, rounded to the digits quoted: a value v matches a quoted 0.957 when |v - 0.957| <= 0.0005
(also v x 100 for percentages, v x 1000 for milliseconds, v / 60 for minutes, v / 1e6 for millions).
- The numbers of one table row must come from one record of a source (a dict of the JSON, or a list of plain values, with
  at most 100 numbers under it; or one output or markdown cell of a notebook), or from two records that each hold at
  least 40% of them (and two). A row's figure written as a ratio ("x2.31") may also be the ratio of two numbers of the
  record.
- Prose numbers are matched against all of the section's numbers; a ratio ("1.65x") also against their ratios, and a
  percentage also against the shares of a record's total.

Sections without a source are listed as untraced. The check fails on a number that no source holds, on a source that
does not exist, and on an untraced section that quotes figures unless it is listed in UNTRACED below with the reason.

    python tools/check_figures.py            # exit status 1 on a mismatch
    python tools/check_figures.py --verbose  # every section and its sources
"""
import json, math, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![\w.\-])(x)?(\d+\.\d+)(?![\d.]*[eE\d])(%|x)?")
SOURCE = re.compile(r"(benchmarks/results/[\w.\-]+\.json|nbs/[\w/.\-]+\.ipynb)")
CODE = re.compile(r"`[^`]*`")
# Sections (their heading) whose figures have no committed result file yet, and why. The list is the work left to do.
UNTRACED:dict = {}

def records_of_json(obj, out:list) -> list[float]:
    "Every dict (and list of plain values) of the file with the numbers under it, recursively; returns the numbers of `obj`."
    if obj is None or isinstance(obj, bool): return []
    if isinstance(obj, (int, float)): return [float(obj)]
    if isinstance(obj, str): return [float(m) for m in re.findall(r"\d+\.\d+|\d+", obj)]
    vals = []
    for v in (obj.values() if isinstance(obj, dict) else obj): vals += records_of_json(v, out)
    if isinstance(obj, dict) or not any(isinstance(v, (dict, list)) for v in obj): out.append(vals)   # a list of rows is not one record
    return vals

def records_of(path:Path) -> list[list[float]]:
    "The records a table row may come from: the JSON's dicts and lists, a notebook's output blocks and markdown cells."
    if path.suffix == ".json":
        out = []; records_of_json(json.loads(path.read_text()), out); return out
    nb = json.loads(path.read_text()); out = []
    for c in nb["cells"]:
        texts = ["".join(c["source"])] if c["cell_type"] == "markdown" else []
        for o in c.get("outputs", []):
            texts.append("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("data", {}).get("text/markdown", "")))
        out += [[float(m) for m in re.findall(r"\d+\.\d+|\d+", t)] for t in texts if t]
    return out

def sections(md:str):
    "(heading, level, text) of every section."
    out, head, level, buf = [], "", 0, []
    for line in md.splitlines():
        m = re.match(r"^(#+)\s+(.*)", line)
        if m:
            out.append((head, level, "\n".join(buf))); head, level, buf = m.group(2).strip(), len(m.group(1)), []
        else: buf.append(line)
    out.append((head, level, "\n".join(buf)))
    return out

def row_covered(quoted:list, recs:list, max_leaves:int=100, ratio_marked:frozenset=frozenset()) -> list:
    "The quoted numbers of one table row that no record holds: one record of at most `max_leaves` numbers must hold them all, or two such records holding at least two each."
    masks = []
    for r in recs:
        if len(r) > max_leaves: continue
        vals = set(r); ratios = None
        m = 0
        for i, (q, pct) in enumerate(quoted):
            ok = matches(q, pct, vals, lambda: set())
            if not ok and q in ratio_marked:   # "x2.31": a ratio of two numbers of the same record
                if ratios is None: ratios = {a / b for a in r for b in r if b}
                ok = matches(q, pct, ratios, lambda: set())
            if ok: m |= 1 << i
        masks.append(m)
    full = (1 << len(quoted)) - 1
    if any(m == full for m in masks): return []
    least = max(2, math.ceil(0.4 * len(quoted)))   # two records (the two halves of a row), each holding 40% of its numbers
    pairs = sorted({m for m in masks if bin(m).count("1") >= least})
    if any(a | b == full for a in pairs for b in pairs): return []
    best = max(masks, default=0, key=lambda m: bin(m).count("1"))
    return [f"{q}{'%' if p else ''}" for i, (q, p) in enumerate(quoted) if not best >> i & 1]

def matches(q:str, pct:bool, values:set, derived) -> bool:
    x = float(q); d = len(q.split(".")[1]); tol = 0.5 * 10 ** -d + 1e-9
    cands = [x / 100] if pct else []
    for v in values:
        if abs(v - x) <= tol or abs(v * 100 - x) <= tol or abs(v * 1000 - x) <= tol or abs(v / 60 - x) <= tol or abs(v / 1e6 - x) <= tol: return True
        if any(abs(v - c) <= tol / 100 for c in cands): return True
    return any(abs(v - x) <= tol for v in derived())

def check(md_path:Path, verbose:bool=False, root:Path=ROOT, untraced:dict=UNTRACED) -> list[str]:
    "The problems of `md_path` (empty: every figure traced); sources are resolved against `root`."
    problems, stack = [], {}
    for head, level, text in sections(md_path.read_text()):
        stack = {k: v for k, v in stack.items() if k < level}
        own = sorted(set(SOURCE.findall(text)))
        stack[level] = own
        srcs = sorted({s for v in stack.values() for s in v})
        missing = [s for s in srcs if not (root / s).exists()]
        problems += [f"[{head}] names {s}, which does not exist" for s in missing]
        body = CODE.sub("", "\n".join(l for l in text.splitlines() if not l.startswith("```")))
        quoted = [(m.group(2), m.group(3) == "%") for m in NUMBER.finditer(body)]
        if verbose: print(f"{'#' * level} {head}: {len(quoted)} figures, sources {srcs or '-'}")
        if not quoted: continue
        if not srcs:
            if head not in untraced: problems.append(f"[{head}] quotes {len(quoted)} figures but names no result file or notebook")
            continue
        recs = [r for src in srcs if (root / src).exists() for r in records_of(root / src)]
        values = {v for r in recs for v in r}
        prose = []
        for line in body.splitlines():
            row = [(m.group(2), m.group(3) == "%") for m in NUMBER.finditer(line)]
            ratio = {m.group(2) for m in NUMBER.finditer(line) if m.group(1) or m.group(3) == "x"}
            if not row: continue
            if line.lstrip().startswith("|"):   # a table row: its numbers must come from one record (or two)
                bad = row_covered(row, recs, ratio_marked=frozenset(ratio))
                if bad: problems.append(f"[{head}] table row {line.strip()[:70]!r}: {', '.join(bad)} not found together in {', '.join(srcs)}")
            else: prose += [(q, pct, q in ratio or pct) for q, pct in row]
        pool = sorted(v for v in values if v > 0)
        shares = {v / sum(r) for r in recs if 1 < len(r) <= 20 and sum(r) > 0 for v in r}   # "93.2% of the epoch": a part of a record's total
        ratios = lambda: cache.setdefault("r", {a / b for a in pool for b in pool} | shares)
        cache = {}
        for q, pct, is_ratio in prose:   # prose: each number against all of the sources' numbers; "1.65x" against their ratios
            if not matches(q, pct, values, ratios if is_ratio else lambda: set()): problems.append(f"[{head}] {q}{'%' if pct else ''} is not in {', '.join(srcs)}")
    return problems

def main(argv=None):
    verbose = "--verbose" in (argv or sys.argv[1:])
    problems = check(ROOT / "BENCHMARKS.md", verbose)
    for p in problems: print("BENCHMARKS.md:", p)
    listed = f" ({len(UNTRACED)} sections listed as untraced: {', '.join(UNTRACED)})" if UNTRACED else ""
    print(f"check_figures: {'FAILED, ' + str(len(problems)) + ' problems' if problems else 'every quoted figure traced to its file'}{listed}")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
