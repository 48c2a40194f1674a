from __future__ import annotations

import numpy as np

from geo.config import Settings
from geo.data.geocode import geocode_postcodes, town_centres


def test_postcode_statuses(settings: Settings) -> None:
    g = geocode_postcodes(["nn15ba", "LE15 6RB", "ZZ9 9ZZ", "not a postcode", "", None, "CF10 1AA"], settings)
    assert g["status"].tolist() == ["found", "found", "unknown", "invalid", "missing", "missing", "unknown"]
    assert g.loc[0, "postcode"] == "NN1 5BA" and g.loc[0, "lsoa21cd"] == "E01027224"
    assert len(g) == 7  # one row per input, nothing dropped


def test_town_centres_from_naptan_and_ods(settings: Settings) -> None:
    t = town_centres(["Oakham", "Kettering", "Clacton-on-Sea", "Nottingham", "Atlantis"], settings).set_index("town")
    assert t.loc["Oakham", "method"] == "naptan_locality_median"
    # Oakham centre (Market Place ~ 486,000 308,800) within 1.5 km
    assert np.hypot(t.loc["Oakham", "easting"] - 486000, t.loc["Oakham", "northing"] - 308800) < 1500
    assert t.loc["Nottingham", "method"] == "ods_post_town_median"
    assert t.loc["Atlantis", "method"] == "not_found" and np.isnan(t.loc["Atlantis", "easting"])
