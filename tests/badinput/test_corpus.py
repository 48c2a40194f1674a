"""The generated bad-input corpus (``pytest -m badinput``): every malformed input gives a GeoError
that names the file and what to do; awkward-but-valid inputs are accepted and decoded right."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.config import Settings
from tests.badinput import cases_misc, cases_privacy, cases_tables, cases_vector
from tests.badinput.corpus import Case, run_case

CASES: list[Case] = [*cases_tables.all_cases(), *cases_vector.all_cases(), *cases_misc.all_cases(),
                     *cases_privacy.all_cases()]
_ids = [c.id for c in CASES]
assert len(_ids) == len(set(_ids)), sorted({i for i in _ids if _ids.count(i) > 1})


@pytest.fixture
def corpus_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Session settings (real bundle) with a per-test cache folder for leftover checks."""
    return settings


@pytest.mark.badinput
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(reason=c.xfail, strict=True))
                                  if c.xfail else c for c in CASES], ids=_ids)
def test_bad_input(case: Case, tmp_path: Path, corpus_settings: Settings) -> None:
    run_case(case, tmp_path, corpus_settings)


@pytest.mark.badinput
def test_corpus_size() -> None:
    assert len(CASES) >= 300
