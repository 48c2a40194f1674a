"""CQC directory parser on a hand-made file in the CQC column layout (format fixture, not data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo._errors import SchemaError
from geo.config import Settings
from geo.data.cqc import read_cqc_directory
from geo.data.sites import unlocated_sites

HEADER = ("Name,Also known as,Address,Postcode,Phone number,Service's website (if available),Service types,"
          "Date of latest check,Specialisms/services,Provider name,Local authority,Region,Location URL,"
          "CQC Location ID (for office use only),CQC Provider ID (for office use only)\n")


def test_keeps_substance_services_and_geocodes(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "cqc_format_fixture.csv"
    f.write_text(HEADER +
                 '"Drug service A",,"39 Billing Road, Northampton",NN1 5BA,,,"Community based services for people '
                 'who misuse substances|Doctors treatment service",,,"Provider A",West Northamptonshire,East Midlands,,1-1,1-2\n'
                 '"Care home B",,"Somewhere",LE15 6RB,,,"Care home service without nursing",,,"Provider B",Rutland,'
                 'East Midlands,,1-3,1-4\n'
                 '"Drug service C",,"Nowhere",ZZ9 9ZZ,,,"Community based services for people who misuse substances",,,'
                 '"Provider C",Rutland,East Midlands,,1-5,1-6\n')
    sites = read_cqc_directory(f, settings)
    assert sites["name"].tolist() == ["Drug service A"]
    assert sites["site_id"].tolist() == ["cqc:1-1"]
    assert sites["location_precision"].tolist() == ["postcode"]
    bad = unlocated_sites(sites)
    assert bad["name"].tolist() == ["Drug service C"]


def test_wrong_file_is_named(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "other.csv"
    f.write_text("name,postcode\nA,NN1 5BA\n")
    with pytest.raises(SchemaError, match="other.csv: not a CQC care directory file"):
        read_cqc_directory(f, settings)
