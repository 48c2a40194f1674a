"""Random bytes uploaded as a table are refused as "not a CSV text file" on every upload path."""

from __future__ import annotations

import re

import numpy as np
import pytest

from geo._errors import InputError
from geo.config import Settings

#: Bytes as /dev/urandom gives them, and random bytes with no NUL or control byte (valid Windows-1252).
URANDOM = np.random.default_rng(22).integers(0, 256, 700, dtype=np.uint8).tobytes()
_PRINTABLE = [b for b in range(32, 256) if b not in (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D)]
NO_CONTROLS = bytes(np.random.default_rng(23).choice(_PRINTABLE, 160).tolist())
FIX = r"not a CSV text file\. Export the table as a CSV \(UTF-8\) text file"


@pytest.mark.parametrize("raw", [URANDOM, NO_CONTROLS], ids=["urandom", "no-controls"])
def test_sites_upload(settings: Settings, raw: bytes) -> None:
    from geo.data.sites import read_sites_file

    with pytest.raises(InputError, match=rf"^my_sites\.csv: this is binary data \(not text\), {FIX}"):
        read_sites_file(raw, settings, source="my_sites.csv")


@pytest.mark.parametrize("raw", [URANDOM, NO_CONTROLS], ids=["urandom", "no-controls"])
def test_site_list_import(raw: bytes) -> None:
    from geo.data.site_import import read_table

    with pytest.raises(InputError, match=rf"^nsp_list\.csv: this is binary data \(not text\), {FIX}"):
        read_table(raw, source="nsp_list.csv")


@pytest.mark.parametrize("raw", [URANDOM, NO_CONTROLS], ids=["urandom", "no-controls"])
def test_client_upload(settings: Settings, raw: bytes) -> None:
    from geo.measures.clients import read_client_extract

    with pytest.raises(InputError, match=rf"^clients\.csv: this is binary data \(not text\), {FIX}") as err:
        read_client_extract(raw, settings, source="clients.csv")
    assert "header but no rows" not in str(err.value)


@pytest.mark.parametrize("name", ["area.geojson", "area.gpkg", "area.csv"])
def test_area_upload(name: str) -> None:
    from geo.data.uploads import read_user_vector

    escaped = re.escape(name)
    with pytest.raises(InputError, match=rf"^{escaped}: this is binary data: not GeoJSON, "
                                         r"a GeoPackage or a zipped Shapefile; export the boundary from QGIS"):
        read_user_vector(NO_CONTROLS, source=name)


def test_real_text_is_still_text() -> None:
    """Windows-1252 and UTF-8 tables with £, é and Welsh letters are not mistaken for binary."""
    from geo.data.uploads import read_user_csv

    rows = "name,postcode,note\nCaffi Ŵy,LE15 6HP,£5 café\nSite B,LE15 6HP,naïve\n"
    assert len(read_user_csv(rows.encode("utf-8"), source="utf8.csv")) == 2
    assert len(read_user_csv(rows.replace("Ŵ", "W").encode("cp1252"), source="win.csv")) == 2
    assert len(read_user_csv(rows.encode("utf-16"), source="utf16.csv")) == 2
