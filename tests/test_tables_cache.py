"""The LSOA master table's disk cache: same table, rebuilt when corrupt."""

from __future__ import annotations

import pandas as pd

from geo.data import tables


def test_cache_roundtrip_and_corrupt_rebuild(settings, tmp_path):
    s = settings.with_(cache_dir=tmp_path / "cache")
    tables._load.cache_clear()
    built = tables.load_lsoa_table(s)
    files = list((s.cache_dir / "tables").glob("lsoa-table-*.parquet"))
    assert len(files) == 1
    tables._load.cache_clear()
    cached = tables.load_lsoa_table(s)
    pd.testing.assert_frame_equal(pd.DataFrame(cached.drop(columns="geometry")),
                                  pd.DataFrame(built.drop(columns="geometry")))
    assert cached.crs == built.crs and cached.geometry.geom_equals_exact(built.geometry, 0).all()
    files[0].write_bytes(b"PAR1 truncated")
    tables._load.cache_clear()
    again = tables.load_lsoa_table(s)
    assert len(again) == 33_755 and again.index.name == "lsoa21cd"
    tables._load.cache_clear()
