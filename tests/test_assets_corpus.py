import shutil

import pytest

from lcreport.data import assets, corpus
from lcreport.data.asset_table import ASSETS


@pytest.fixture
def copied_data(tmp_path, monkeypatch):
    """A private copy of the fetched assets, so a test may damage it."""
    src = assets.require("austen").parent
    dst = tmp_path / "data" / "raw"
    shutil.copytree(src, dst)
    monkeypatch.setenv("LCREPORT_DATA", str(tmp_path / "data"))
    return dst


def test_fetched_assets_verify():
    for name in ASSETS:
        assert assets.require(name).is_dir()


def test_missing_asset_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("LCREPORT_DATA", str(tmp_path / "empty"))
    with pytest.raises(assets.MissingAssetError, match="python -m lcreport fetch web"):
        assets.require("web")


def test_corrupt_asset_is_detected(copied_data):
    target = copied_data / "austen" / "Rdata.rdb"
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(assets.AssetChecksumError, match="fetch --force austen"):
        assets.require("austen")


def test_unknown_asset():
    with pytest.raises(KeyError, match="known assets are austen, web, mathjax"):
        assets.get_asset("pg19")


def test_the_six_austen_novels_in_publication_order():
    docs = corpus.austen_documents()
    assert [d.title for d in docs] == list(corpus.AUSTEN_TITLES.values())
    pride = docs[1]
    assert "It is a truth universally acknowledged, that a single man in possession" in pride.text
    assert all(len(d.text) > 400_000 for d in docs)  # book-length documents


def test_world_english_bible_one_document_per_book_without_markup():
    docs = {d.title: d for d in corpus.web_documents()}
    assert docs["Gen"].text.startswith("In the beginning, God created the heavens and the earth.")
    assert docs["Rev"].text.rstrip().endswith("Amen.")
    assert len(docs) >= 66
    for d in docs.values():
        assert "<" not in d.text and "osisID" not in d.text


def test_split_is_by_whole_book():
    docs = corpus.documents()
    train, held = corpus.split_documents(docs)
    assert {d.key for d in held} == set(corpus.DEFAULT_HELDOUT)
    assert not {d.key for d in train} & {d.key for d in held}
    assert len(train) + len(held) == len(docs)
    with pytest.raises(ValueError, match="not in the corpus"):
        corpus.split_documents(docs, heldout=["austen/Ulysses"])


def test_token_stream_and_chunks():
    docs = [corpus.Document("x", "a", "abc"), corpus.Document("x", "b", "de")]
    ids = corpus.token_stream(docs, lambda t: [ord(c) for c in t], separator_ids=[0])
    assert ids == [97, 98, 99, 0, 100, 101, 0]
    assert corpus.chunks(ids, 3) == [[97, 98, 99], [0, 100, 101]]
    with pytest.raises(ValueError, match="cannot fill"):
        corpus.chunks(ids, 100)
