"""Citations of the documents that published the specs' figures."""

from __future__ import annotations

from costlab.spec.sources import cite, sources_note


def test_cite_and_its_footnote():
    assert cite("002", "Table 3") == "V1/V2 notes, Table 3"
    assert cite("LeCun et al. 1998", "text") == "LeCun et al. 1998, text"   # as written
    assert sources_note(["001", "001", "LeCun"]) == (
        "sources: Dominguez = document 001: N. Dominguez, 'MobileNetV2: The Same but Better'")
    assert sources_note(["LeCun"]) == ""


def test_a_footnote_line_may_carry_the_id_itself():
    assert cite("000", "Table 4", with_id=True) == "Lee, Table 4 (document 000)"
    assert cite("slim", "checkpoints", with_id=True) == "TF-slim, checkpoints ('slim')"
    assert cite("LeCun et al. 1998", "text", with_id=True) == "LeCun et al. 1998, text"
