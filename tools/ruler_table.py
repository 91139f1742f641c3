"""Extract the claimed and effective lengths of every model from RULER's README (NVIDIA/RULER).

Usage: python tools/ruler_table.py README.md > lcreport/chapters/ruler.csv

The committed CSV was made from README.md at commit c3f5e3b4f87f97e048793bb510a3a6b19a46bf3a of
https://github.com/NVIDIA/RULER (lcreport.analysis.critique.RULER_SOURCE names it). Every row of the
results table is kept except Llama-2-7B, which has no effective length: its score at 4K is the
threshold that defines one. A '*' after a name marks results reported by the model's authors.
"""

import csv
import re
import sys


def link_text(cell: str) -> str:
    """'[Llama3.1](https://…) (70B)' → 'Llama3.1 (70B)'; the URL may hold balanced parentheses."""
    m = re.match(r"\[([^\]]+)\]\(", cell)
    if not m:
        return cell
    depth, i = 1, m.end()
    while i < len(cell) and depth:
        depth += {"(": 1, ")": -1}.get(cell[i], 0)
        i += 1
    return (m.group(1) + cell[i:]).strip()


def rows(readme: str):
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("["):
            continue
        name = link_text(cells[0])
        claimed, effective = cells[1].upper(), cells[2].upper()
        if not effective:
            continue  # Llama-2-7B: the threshold, not a measured model
        yield {
            "model": name,
            "claimed": claimed,
            "effective (RULER)": effective,
            "reported by": "the model's authors" if "*" in name else "RULER's authors",
        }


if __name__ == "__main__":
    text = open(sys.argv[1], encoding="utf-8").read()
    out = csv.DictWriter(
        sys.stdout, fieldnames=["model", "claimed", "effective (RULER)", "reported by"], lineterminator="\n"
    )
    out.writeheader()
    for r in rows(text):
        out.writerow(r)
