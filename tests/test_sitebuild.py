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


def test_svg_figures_only_inside_a_kernel():
    """Outside IPython (tests, scripts), start_chapter leaves matplotlib's formats alone."""
    from lcreport import notebook

    notebook._figures_as_svg()  # no IPython shell here: a no-op, no error
