"""What the site adds to jupyter-book: a Sphinx extension (``_config.yml``, ``sphinx.extra_extensions``).

- **The code version on every page**: the footer names the package version, the git commit and
  the lcreport source hash (the one every ``results/*.json`` records in its provenance), next to
  the theme's "Last updated" date (``html_last_updated_fmt``; ``lcreport build`` dates the pages
  by the last commit through ``SOURCE_DATE_EPOCH``).
- **Each chapter's results for download**: ``results/<chapter>.json`` and
  ``results/<chapter>.trials.csv`` are copied into the site (``_build/html/results/``), linked at
  the end of the chapter's page, and listed with their provenance by the ``results-downloads``
  directive (on ``book/reproduce.md``).

- **The reader's view of a chapter** (``reader_view``): the site shows each chapter's findings,
  tables and figures; its code is one click away ("Show code cell source", the ``hide-input``
  tag), parameter cells and cells that only record figures are left out, and nbval's
  ``# NBVAL_*`` markers are stripped. The notebook on disk keeps everything, for readers who
  download it; the tags are added at build time, so a new cell needs no tagging by hand.
- **Phone navigation**: ``book/_static/lcreport.js`` makes the theme's sidebar buttons open the
  navigation drawer and the page-contents drawer on a phone (pydata-sphinx-theme 0.17 binds its
  handler to a hidden duplicate button, pydata/pydata-sphinx-theme#2451);
  ``book/_static/lcreport.css`` gives wide tables a horizontal scroller.
- **A 404 page** (sphinx-notfound-page), its links rooted at ``LCREPORT_SITE_PREFIX`` (``/`` by
  default; the pages workflow sets ``/<repository>/``).

It reads files only (no torch): the pages workflow builds the site with the lean ``book`` extra.
"""

from __future__ import annotations

import html
import json
import os
import posixpath
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

#: the folder of the built site that holds the results files
SITE_RESULTS = "results"
#: what each downloadable file is, by suffix
KINDS = {
    ".json": "figures, paired comparisons and provenance",
    ".trials.csv": "one row per scored unit, to recompute every comparison",
}


def chapter_of(docname: str) -> str | None:
    """``notebooks/02_tokens`` → ``tokens``; None for a page that is not a chapter."""
    from .execute import chapter_name

    folder, _, stem = docname.rpartition("/")
    return chapter_name(Path(stem)) if folder == "notebooks" else None


def chapter_docs() -> list[tuple[str, str]]:
    """(docname, chapter) of every chapter in the table of contents, in reading order."""
    from .execute import toc_docnames

    return [(d, c) for d in toc_docnames() if (c := chapter_of(d))]


def downloads(chapter: str) -> list[str]:
    """The results files of ``chapter`` that exist: its JSON, and its trials CSV if it keeps trials."""
    from .paths import results_dir

    return [name for name in (f"{chapter}.json", f"{chapter}.trials.csv") if (results_dir() / name).exists()]


def provenance(chapter: str) -> dict:
    from .paths import results_dir

    try:
        return json.loads((results_dir() / f"{chapter}.json").read_text(encoding="utf-8")).get("provenance", {})
    except (OSError, ValueError):
        return {}


def code_version() -> str:
    """``lcreport 0.1.0 · commit 1a2b3c4d5e6f · source c8df318d4bcf11c6``."""
    from . import __version__
    from .results import git_commit, source_hash

    commit = git_commit()
    commit = commit[:12] + ("+dirty" if commit.endswith("+dirty") else "") if commit != "unknown" else commit
    return f"lcreport {__version__} · commit {commit} · source {source_hash()}"


def _href(docname: str, filename: str) -> str:
    """The link from page ``docname`` (html builder: ``docname.html``) to a results file of the site."""
    return posixpath.relpath(f"{SITE_RESULTS}/{filename}", posixpath.dirname(docname) or ".")


def _file_link(docname: str, filename: str) -> nodes.reference:
    ref = nodes.reference(
        "", "", nodes.literal(text=filename), refuri=_href(docname, filename), classes=["lcreport-download"]
    )
    ref["reftitle"] = KINDS[".trials.csv" if filename.endswith(".trials.csv") else ".json"]
    return ref


class ResultsDownloads(SphinxDirective):
    """A table: every chapter, links to its results files, and the run that made them."""

    has_content = False

    def run(self):
        self.env.lcreport_download_docs = getattr(self.env, "lcreport_download_docs", set()) | {self.env.docname}
        here = self.env.docname
        head = ["Chapter", "Results (JSON)", "Trials (CSV)", "Profile", "Run on", "Minutes"]
        rows = []
        for docname, chapter in chapter_docs():
            files = downloads(chapter)
            prov = provenance(chapter)
            link = addnodes.pending_xref(
                "",
                nodes.inline(text=chapter),
                refdomain="std",
                reftype="doc",
                reftarget="/" + docname,
                refexplicit=True,
                refdoc=here,
            )
            cells = [link]
            for name in (f"{chapter}.json", f"{chapter}.trials.csv"):
                cells.append(_file_link(here, name) if name in files else nodes.Text("—"))
            minutes = prov.get("wall_time_s")
            cells += [
                nodes.Text(str(prov.get("profile", "—"))),
                nodes.Text(str(prov.get("started_utc", "—"))[:10]),
                nodes.Text(f"{minutes / 60:.1f}" if isinstance(minutes, (int, float)) else "—"),
            ]
            rows.append(cells)
        return [_table(head, rows, classes=["lcreport-downloads"])]


class LedgerZh(SphinxDirective):
    """The Chinese ledger (``book/ledger_zh.md``): the MyST cards the critique chapter rendered from the
    claims registry (figure ``ledger_zh`` of ``results/critique.json``), parsed here so that their
    links to the chapters' sections resolve like any other cross-reference."""

    has_content = False

    def run(self):
        from .paths import results_dir

        self.env.lcreport_download_docs = getattr(self.env, "lcreport_download_docs", set()) | {self.env.docname}
        path = results_dir() / "critique.json"
        try:
            markdown = json.loads(path.read_text(encoding="utf-8"))["figures"]["ledger_zh"]["value"]
        except (OSError, ValueError, KeyError):
            raise self.error(
                f"{path} has no figure 'ledger_zh': execute the critique chapter first "
                "(python -m lcreport run critique)"
            ) from None
        return self.parse_text_to_nodes(markdown)


def _table(head: list[str], rows: list[list[nodes.Node]], classes: list[str]) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(head))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in head]
    thead = nodes.thead()
    thead += _row([nodes.Text(h) for h in head])
    tbody = nodes.tbody()
    for r in rows:
        tbody += _row(r)
    group += [thead, tbody]
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for c in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", c)
        row += entry
    return row


def add_chapter_downloads(app, doctree, docname) -> None:
    """The end of each chapter's page: links to its results files."""
    chapter = chapter_of(docname)
    if app.builder.format != "html" or chapter is None:
        return
    files = downloads(chapter)
    if not files:
        return
    para = nodes.paragraph("", "", nodes.strong(text="This chapter's results: "))
    for i, name in enumerate(files):
        if i:
            para += nodes.Text(" · ")
        para += _file_link(docname, name)
        para += nodes.Text(f" ({KINDS['.trials.csv' if name.endswith('.trials.csv') else '.json']})")
    para += nodes.Text(". How they were made: ")
    para += nodes.reference(
        "", "How to reproduce", internal=True, refuri=app.builder.get_relative_uri(docname, "book/reproduce")
    )
    para += nodes.Text(".")
    box = nodes.container(classes=["lcreport-chapter-downloads"])
    box += para
    doctree += box


def copy_results(app, exception) -> None:
    """Copy every linked results file into the built site."""
    if exception is not None or app.builder.format != "html":
        return
    from .paths import results_dir

    out = Path(app.outdir) / SITE_RESULTS
    out.mkdir(parents=True, exist_ok=True)
    for _, chapter in chapter_docs():
        for name in downloads(chapter):
            shutil.copyfile(results_dir() / name, out / name)


def add_version_footer(app, config) -> None:
    options = dict(config.html_theme_options or {})
    version = code_version()
    options["extra_footer"] = (
        options.get("extra_footer") or ""
    ) + f'<p class="lcreport-version">Version: {html.escape(version)}</p>'
    config.html_theme_options = options
    config.release = version


def always_reread(app, env, added, changed, removed) -> list[str]:
    """The pages listing the results files are read again on every build: the files may have changed."""
    return sorted(getattr(env, "lcreport_download_docs", set()) - set(removed))


def purge(app, env, docname) -> None:
    getattr(env, "lcreport_download_docs", set()).discard(docname)


def merge(app, env, docnames, other) -> None:
    env.lcreport_download_docs = getattr(env, "lcreport_download_docs", set()) | getattr(
        other, "lcreport_download_docs", set()
    )


#: tags that already decide how a cell shows; such a cell is left as its author tagged it
SHOWN_AS_TAGGED = {"remove-cell", "remove-input", "remove-output", "hide-input", "hide-cell", "hide-output"}
#: tags of papermill's parameter cells: never shown
PARAMETER_TAGS = {"parameters", "injected-parameters"}
#: output types a reader sees on the page (a glue record or a progress bar on stderr is not one)
VISIBLE_MIME = ("text/html", "text/markdown", "image/svg+xml", "image/png", "text/plain")
MARKER = "# NBVAL_"


def _visible(output: dict) -> bool:
    if output.get("output_type") == "stream":
        return output.get("name") == "stdout"
    if output.get("output_type") == "error":
        return True
    return any(m in output.get("data", {}) for m in VISIBLE_MIME[:-1]) or (
        set(output.get("data", {})) == {"text/plain"}
    )


def reader_cell(cell: dict) -> dict:
    """One code cell as the site shows it: markers stripped, code hidden or the cell removed."""
    if cell.get("cell_type") != "code":
        return cell
    source = cell.get("source", "")
    lines = source if isinstance(source, list) else source.splitlines(keepends=True)
    cell["source"] = "".join(line for line in lines if not line.lstrip().startswith(MARKER))
    tags = list(cell.setdefault("metadata", {}).get("tags", []))
    if not SHOWN_AS_TAGGED & set(tags):
        if PARAMETER_TAGS & set(tags) or not any(_visible(o) for o in cell.get("outputs", [])):
            tags.append("remove-cell")
        else:
            tags.append("hide-input")
    cell["metadata"]["tags"] = tags
    return cell


def reader_view(app, docname: str, source: list[str]) -> None:
    """``source-read``: a chapter notebook as the site shows it (see ``reader_cell``)."""
    if chapter_of(docname) is None:
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return
    nb["cells"] = [reader_cell(c) for c in nb.get("cells", [])]
    source[0] = json.dumps(nb, ensure_ascii=False)


def site_prefix(app, config) -> None:
    """The 404 page's links are absolute: rooted where the site is served."""
    prefix = os.environ.get("LCREPORT_SITE_PREFIX", "/")
    config.notfound_urls_prefix = prefix if prefix.endswith("/") else prefix + "/"


def setup(app):
    # MathJax on every page, not only those with MyST math: a table cell may hold a quoted formula
    app.set_html_assets_policy("always")
    app.connect("source-read", reader_view)
    app.connect("config-inited", site_prefix)
    app.add_css_file("lcreport.css")
    app.add_js_file("lcreport.js")
    app.add_directive("results-downloads", ResultsDownloads)
    app.add_directive("ledger-zh", LedgerZh)
    app.connect("config-inited", add_version_footer)
    app.connect("doctree-resolved", add_chapter_downloads)
    app.connect("build-finished", copy_results)
    app.connect("env-get-outdated", always_reread)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
