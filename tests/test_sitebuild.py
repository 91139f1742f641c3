"""The site's Sphinx extension (lcreport.sitebuild) and the build's date, without building the site
(the strict build and the browser check of ``make test`` do that)."""

import re

import yaml

from lcreport import __version__, cli, sitebuild
from lcreport.paths import ROOT


def test_chapters_are_recognised_by_their_page():
    assert sitebuild.chapter_of("notebooks/02_tokens") == "tokens"
    assert sitebuild.chapter_of("book/reproduce") is None
    assert [c for _, c in sitebuild.chapter_docs()][:2] == ["complexity", "tokens"]


def test_links_are_relative_to_the_page():
    assert sitebuild._href("notebooks/02_tokens", "tokens.json") == "../results/tokens.json"
    assert sitebuild._href("index", "tokens.json") == "results/tokens.json"


def test_downloads_are_the_files_that_exist(tmp_results):
    tmp_results.mkdir(parents=True)
    assert sitebuild.downloads("toy") == []
    (tmp_results / "toy.json").write_text('{"provenance": {"profile": "cpu"}, "figures": {}}')
    assert sitebuild.downloads("toy") == ["toy.json"]
    (tmp_results / "toy.trials.csv").write_text("experiment,arm,scale,seed,unit,metric,value\n")
    assert sitebuild.downloads("toy") == ["toy.json", "toy.trials.csv"]
    assert sitebuild.provenance("toy") == {"profile": "cpu"}
    assert sitebuild.provenance("absent") == {}


def test_the_code_version_names_package_commit_and_source_hash():
    version = sitebuild.code_version()
    assert re.fullmatch(rf"lcreport {re.escape(__version__)} · commit \S+ · source [0-9a-f]{{16}}", version), version


def test_the_book_loads_the_extension_and_dates_its_pages():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "lcreport.sitebuild" in config["sphinx"]["extra_extensions"]
    assert config["sphinx"]["config"]["html_last_updated_fmt"]
    assert "{results-downloads}" in (ROOT / "book" / "reproduce.md").read_text()


def test_source_date_epoch_is_a_commit_time_or_nothing():
    epoch = cli.source_date_epoch()
    assert epoch is None or (epoch.isdigit() and int(epoch) > 1_500_000_000)


def test_svg_figures_only_inside_a_kernel(monkeypatch):
    """Outside IPython (tests, scripts), start_chapter leaves matplotlib's formats alone; inside a kernel it asks
    for undated SVG with fixed element ids."""
    import IPython
    import matplotlib
    import matplotlib_inline.backend_inline as inline

    from lcreport import notebook

    calls = []
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.setitem(matplotlib.rcParams, "svg.hashsalt", None)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # no shell: a test or a script
    notebook._figures_as_svg()
    assert calls == [] and matplotlib.rcParams["svg.hashsalt"] is None
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # a kernel's shell
    notebook._figures_as_svg()
    assert calls == [(("svg",), {"metadata": {"Date": None}, "bbox_inches": None})]
    assert matplotlib.rcParams["svg.hashsalt"] == "lcreport"


def _code(source, tags=(), outputs=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source, "outputs": list(outputs)}


TABLE = {"output_type": "execute_result", "data": {"text/html": "<table/>", "text/plain": "t"}}
GLUE = {"output_type": "display_data", "data": {"application/papermill.record/text/plain": "1"}}
PROGRESS = {"output_type": "stream", "name": "stderr", "text": "100%"}


def test_reader_view_hides_code_and_strips_test_markers():
    cell = sitebuild.reader_cell(_code("# NBVAL_IGNORE_OUTPUT\ntable = f()\ntable", outputs=[TABLE]))
    assert cell["metadata"]["tags"] == ["hide-input"]
    assert cell["source"] == "table = f()\ntable"


def test_reader_view_removes_parameters_and_cells_with_nothing_to_show():
    for tags, outputs in ((["parameters"], []), (["injected-parameters"], []), ([], [GLUE, PROGRESS]), ([], [])):
        cell = sitebuild.reader_cell(_code("x = 1", tags=tags, outputs=outputs))
        assert "remove-cell" in cell["metadata"]["tags"], (tags, outputs)


def test_reader_view_respects_a_tag_set_by_hand_and_leaves_markdown_alone():
    cell = sitebuild.reader_cell(_code("x", tags=["remove-input"], outputs=[TABLE]))
    assert cell["metadata"]["tags"] == ["remove-input"]
    md = {"cell_type": "markdown", "metadata": {}, "source": "# NBVAL_ is prose here"}
    assert sitebuild.reader_cell(dict(md)) == md


def test_reader_view_applies_to_chapters_only():
    import json

    nb = json.dumps({"cells": [_code("# NBVAL_CHECK_OUTPUT\nx", outputs=[TABLE])], "metadata": {}})
    page = [nb]
    sitebuild.reader_view(None, "book/intro", page)
    assert page[0] == nb
    sitebuild.reader_view(None, "notebooks/01_complexity", page)
    assert json.loads(page[0])["cells"][0]["metadata"]["tags"] == ["hide-input"]


def test_the_404_page_is_rooted_where_the_site_is_served(monkeypatch):
    class Config:
        pass

    config = Config()
    monkeypatch.setenv("LCREPORT_SITE_PREFIX", "/lcreport")
    sitebuild.site_prefix(None, config)
    assert config.notfound_urls_prefix == "/lcreport/"
    monkeypatch.delenv("LCREPORT_SITE_PREFIX")
    sitebuild.site_prefix(None, config)
    assert config.notfound_urls_prefix == "/"
