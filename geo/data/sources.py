"""Registry of every external dataset the tool reads: where it comes from, its licence,
vintage, expected checksum and the columns a loader requires.

``fetch_dataset`` downloads with :mod:`pooch` (checksum verified, progress bar, cached) from a
mirror of the prepared bundle (``GEO_DATA_URL``); the publisher's own page is recorded for
attribution and for users who rebuild the bundle.  Nothing here runs at import time.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from geo._errors import DataSourceError

logger = logging.getLogger(__name__)

OGL = "Open Government Licence v3.0"
ODBL = "Open Database Licence 1.0"


@dataclass(frozen=True)
class Dataset:
    """One file of the open-data bundle."""

    key: str
    relpath: str
    title: str
    publisher: str
    url: str
    licence: str
    vintage: str
    sha256: str
    rows: int | None
    columns: tuple[str, ...] = ()
    kind: str = "csv"  # csv | gpkg | pbf | osm-xml
    layer: str | None = None
    attribution: str = ""

    def path(self, data_dir: Path) -> Path:
        """Location of this dataset under ``data_dir``."""
        return Path(data_dir) / self.relpath


_ONS = "Office for National Statistics (ONS Open Geography Portal)"
_ONS_ATTR = "Contains National Statistics data © Crown copyright and database right 2021-2025"
_OS_ATTR = (
    "Contains OS data © Crown copyright and database right 2025; "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025"
)
_NHS_ATTR = "NHS organisation data © NHS England, Organisation Data Service"
_IMD_ATTR = "English Indices of Deprivation © Crown copyright, MHCLG"
_NAPTAN = ("atco_code", "common_name", "stop_type", "status", "easting", "northing",
           "locality_name", "lsoa21cd", "lad24cd")

DATASETS: dict[str, Dataset] = {d.key: d for d in [
    Dataset("lsoa_boundaries", "boundaries/lsoa21_england.gpkg",
            "LSOA (Dec 2021) boundaries EW BSC V4, England", _ONS,
            "https://geoportal.statistics.gov.uk/", OGL, "Dec 2021",
            "38c065b8613734afcc980c412032dbbe516e2d70da490737ca7fbf04196e6ba8", 33755,
            ("lsoa21cd", "lsoa21nm"), "gpkg", "lsoa21", _ONS_ATTR),
    Dataset("lad_boundaries", "boundaries/lad24_england.gpkg",
            "Local Authority Districts (May 2024) boundaries UK BUC, England", _ONS,
            "https://geoportal.statistics.gov.uk/", OGL, "May 2024",
            "b4f7cb769b9eb88922e4127914c7e065443abe66bf7e2e2843cce0cfc6cf1fb0", 296,
            ("lad24cd", "lad24nm"), "gpkg", "lad24", _ONS_ATTR),
    Dataset("imd2025", "tables/imd2025_lsoa21.csv", "English Indices of Deprivation 2025 (LSOA 2021)",
            "Ministry of Housing, Communities and Local Government",
            "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025", OGL,
            "2025", "ad6db31f63d01ffc4a2e88aea3891e129d73e3a4273c9528a0eeb800893793ce", 33755,
            ("lsoa21cd", "imd_score", "imd_rank", "imd_decile", "health_deprivation_disability_score",
             "barriers_housing_services_score", "sub_geographical_barriers_score"),
            attribution=_IMD_ATTR),
    Dataset("imd2025_indicators", "tables/imd2025_indicators_lsoa21.csv",
            "IoD 2025 underlying indicators", "Ministry of Housing, Communities and Local Government",
            "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025", OGL,
            "2025", "b506f9476b9eb8e92b77ba286b7532c992f0c1f3909784e251674fbd55683100", 33755,
            ("lsoa21cd",), attribution=_IMD_ATTR),
    Dataset("imd2019", "tables/imd2019_lsoa11.csv", "English Indices of Deprivation 2019 (LSOA 2011)",
            "Ministry of Housing, Communities and Local Government",
            "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019", OGL,
            "2019", "089bbaabe2a68db891ac0bd75b21966f42fb41be3bb275e3195034327fb04232", 32844,
            ("lsoa11cd", "imd_rank", "imd_decile"), attribution=_IMD_ATTR),
    Dataset("population", "tables/population_lsoa21_2021.csv",
            "Census 2021 usual residents by age (6 bands), LSOA 2021", "Office for National Statistics",
            "https://www.ons.gov.uk/datasets/create", OGL, "Census 2021",
            "080b169725d74d75905347aaae46d418dcb055747b06dc2ef75b5275e3f718c2", 33755,
            ("lsoa21cd", "total", "aged_16_plus", "aged_16_24", "aged_18_plus_est"),
            attribution=_ONS_ATTR),
    Dataset("centroids", "tables/lsoa21_population_weighted_centroids.csv",
            "LSOA (Dec 2021) population-weighted centroids", _ONS,
            "https://geoportal.statistics.gov.uk/", OGL, "Dec 2021",
            "71411886579389494c4717d73c3a074a8c824667aa1dbfc248e6bbda1596d137", 33755,
            ("lsoa21cd", "easting", "northing"), attribution=_ONS_ATTR),
    Dataset("ruc", "tables/ruc21_lsoa21.csv", "Rural-Urban Classification 2021 of LSOAs", _ONS,
            "https://geoportal.statistics.gov.uk/datasets/ons::rural-urban-classification-2021-of-lsoas-in-ew/about",
            OGL, "2021 (2025 release)",
            "2e8b4f731fcac6d371202532c02fc9833a06ae8056bcaf937dd1636dc2c10402", 33755,
            ("lsoa21cd", "ruc21cd", "ruc21nm", "urban_rural"), attribution=_ONS_ATTR),
    Dataset("lookup_geographies", "tables/lookup_lsoa21_geographies.csv",
            "LSOA 2021 to ward, LAD, UTLA, region, ICB and sub-ICB location lookup", _ONS,
            "https://geoportal.statistics.gov.uk/", OGL, "2023-2024",
            "a41e9f40d5acd1549796fcbfaff7da38967c81fab3270238e3e119d68692d409", 33755,
            ("lsoa21cd", "lsoa21nm", "lad24cd", "lad24nm", "utla23cd", "utla23nm", "rgn24cd",
             "rgn24nm", "icb24cd", "icb24nm", "sicbl24cd", "sicbl24nm"), attribution=_ONS_ATTR),
    Dataset("lookup_lsoa11_lsoa21", "tables/lookup_lsoa11_lsoa21.csv",
            "LSOA 2011 to LSOA 2021 lookup", _ONS, "https://geoportal.statistics.gov.uk/", OGL,
            "2022", "3358afe4e0372230ac7d63798e92d2f6408f00b1bdecef132d9ed53d63253273", 33855,
            ("lsoa11cd", "lsoa21cd", "chgind"), attribution=_ONS_ATTR),
    Dataset("drug_deaths_la", "tables/drug_poisoning_deaths_la.csv",
            "Deaths related to drug poisoning by local authority", "Office for National Statistics",
            "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/drugmisusedeathsbylocalauthority",
            OGL, "1993-2020 registrations",
            "22f7b1dfe53f0b1397bfd5c4a4c56637f625155f578ad8bbca53a79b83567e35", 10500,
            ("area_code", "area_name", "geography_level", "registration_year", "deaths"),
            attribution=_ONS_ATTR),
    Dataset("drug_deaths_region_substance", "tables/drug_poisoning_deaths_region_substance.csv",
            "Drug poisoning deaths by region and substance", "Office for National Statistics",
            "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/deathsrelatedtodrugpoisoningbyselectedsubstances",
            OGL, "1993-2020", "f208a6704b96d5b5b1b30167aad2da23e877b628d8281e857599b2666def5fd7", 728,
            ("registration_year", "area_code", "substance", "deaths"), attribution=_ONS_ATTR),
    Dataset("drug_deaths_national", "tables/drug_deaths_england_wales_by_year.csv",
            "Drug poisoning deaths, England and Wales totals", "Office for National Statistics",
            "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths",
            OGL, "1993-2021", "07fa1b5c617d09fa6e78e399e9efff785868af19652c8befa7b14b6a4b985b12", 29,
            ("registration_year", "all_drug_poisoning", "drug_misuse"), attribution=_ONS_ATTR),
    Dataset("stroke_units", "tables/stroke_units_2022.csv", "Acute stroke units (SAMueL)",
            "SAMueL project, University of Exeter", "https://samuel-book.github.io/stroke_unit_demographics/",
            "MIT", "2022", "9a7d2709701fddb821f296249147e2866000461587c1844235f0a07592473570", 142,
            ("postcode_key", "easting", "northing"), attribution="SAMueL project, University of Exeter (MIT)"),
    Dataset("stroke_drive_times", "tables/drive_time_lsoa11_to_stroke_units.csv.gz",
            "Modelled drive time LSOA 2011 to stroke units (calibration)",
            "SAMueL project, University of Exeter", "https://samuel-book.github.io/stroke_unit_demographics/",
            "MIT; derived from OpenStreetMap (ODbL)", "2023",
            "b55c0621acac9bf611a2f100593eec6692d1d29b39ae752c32957e2a2c21f050", 32843, ("lsoa11cd",),
            attribution="SAMueL project (MIT), derived from © OpenStreetMap contributors (ODbL)"),
    Dataset("postcodes", "postcodes/postcodes_england.csv.gz",
            "Code-Point Open postcodes with LSOA 2021", "Ordnance Survey; ONS",
            "https://osdatahub.os.uk/downloads/open/CodePointOpen", OGL, "Apr 2025",
            "fe1e73db40fd0d1d5ec7d5772fd5d70a908743afca1dbb01b999a432eda3525d", 1489121,
            ("pcd", "easting", "northing", "lsoa21cd", "lad24cd"), attribution=_OS_ATTR),
    Dataset("pharmacies", "sites/pharmacies_england.csv", "NHS community pharmacies (ODS edispensary)",
            "NHS England Organisation Data Service", "https://www.odsdatasearchandexport.nhs.uk/", OGL,
            "Apr 2025", "7935c7d9ac5e2991a85e97f69c23dc2b55948f7fe8b5df9b10fb8ae56d293524", 20132,
            ("ods_code", "name", "address_1", "postcode", "status", "easting", "northing",
             "geocode_source", "lsoa21cd", "lad24cd"), attribution=_NHS_ATTR),
    Dataset("gp_practices", "sites/gp_practices_england.csv",
            "GP practices and prescribing cost centres (ODS epraccur)",
            "NHS England Organisation Data Service", "https://www.odsdatasearchandexport.nhs.uk/", OGL,
            "autumn 2025", "6cea671002397d2ee1a8ceba05d2cf46c5fd0252257e66edd81600a2d72b2831", 15767,
            ("ods_code", "name", "postcode", "status", "prescribing_setting_code", "easting",
             "northing", "lsoa21cd", "lad24cd"), attribution=_NHS_ATTR),
    *[Dataset(f"naptan_{a}", f"sites/naptan_stops_{a}.csv", f"NaPTAN stops, {a.replace('_', ' ')}",
              "Department for Transport", "https://beta-naptan.dft.gov.uk/", OGL, "24 Jul 2026", h, r,
              _NAPTAN, attribution="NaPTAN © Crown copyright, Department for Transport")
      for a, h, r in [
          ("essex", "952ab4bc33010981dbf73050eb8eb0ae679ee427730072f29ad69c072cb6d97d", 7617),
          ("leicester", "fd2907d3c2f0437b8b974173cf5f540ffb89c5b894e057b9ba7f3eb6639eb318", 1469),
          ("leicestershire", "f801cc610cdb1c2b7ba3ba0fb97c85bac0bf68b423af5234b49f7bfdd4e1ca76", 4073),
          ("north_northamptonshire", "f05002cdb7d3c2752802315be1332190306b0892c7ab4ff2430e9b5f699a6c86", 2604),
          ("rutland", "73565a84f5d036689ae2cf79a241c623e77394800222682ecc36e9a94fa1af6f", 251),
          ("southend_on_sea", "8dcaf927522859b0f0c4e681d1ec10dbdfa379925777403f2791b36da4e79ca1", 665),
          ("thurrock", "a6fe667b94fe7bb9df339e0835cbcb5284be313253f2fda1e27ebf79fe6c8e6e", 599),
          ("west_northamptonshire", "1f7bda918e39cd95b58046ec5d915436e5a18a4787434bc68312452b6f193405", 2444),
      ]],
    Dataset("rutland_pbf", "networks/rutland-2018.osm.pbf", "OpenStreetMap extract of Rutland",
            "OpenStreetMap contributors (extract by Geofabrik)",
            "https://download.geofabrik.de/europe/great-britain/england/rutland.html", ODBL,
            "27 Feb 2018", "1ff975d78688c22977b3e01d527418ac01e0a87e8f4daa10bf8fd4fe55b8de03", None,
            kind="pbf", attribution="© OpenStreetMap contributors (ODbL); extract by Geofabrik GmbH"),
    Dataset("rutland_highways_xml", "networks/rutland-2018-highways.osm.xml.bz2",
            "OpenStreetMap Rutland highways (OSM XML)", "OpenStreetMap contributors",
            "https://download.geofabrik.de/europe/great-britain/england/rutland.html", ODBL,
            "27 Feb 2018", "37c9a61fc42f2f4b38a82fba754d90f4eb8370ba0c51dac583030c1d86c6c2f4", None,
            kind="osm-xml", attribution="© OpenStreetMap contributors (ODbL)"),
]}

#: Sources a real user can fetch that are not in the offline bundle.
EXTRA_SOURCES: dict[str, dict[str, str]] = {
    "cqc_care_directory": {
        "title": "CQC care directory with filters (regulated locations incl. 'community based "
                 "services for people who misuse substances')",
        "publisher": "Care Quality Commission",
        "url": "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
        "licence": OGL,
        "note": "Filter service type 'Community based services for people who misuse substances'; "
                "load with `geo sites add FILE` (columns name, postcode, address).",
    },
    "bus_open_data_gtfs": {
        "title": "Bus Open Data Service timetables, GTFS by region",
        "publisher": "Department for Transport",
        "url": "https://data.bus-data.dft.gov.uk/timetable/download/",
        "licence": OGL,
        "note": "Download the region's GTFS zip and pass it with --gtfs FEED.zip.",
    },
    "osm_england": {
        "title": "OpenStreetMap England extract (.osm.pbf)",
        "publisher": "OpenStreetMap contributors via Geofabrik",
        "url": "https://download.geofabrik.de/europe/great-britain/england.html",
        "licence": ODBL,
        "note": "Pass a county extract with --network FILE.osm.pbf, or use osmnx online.",
    },
}


def sha256_file(path: Path, *, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


def get_dataset(key: str) -> Dataset:
    """Look up a dataset by key with a helpful error."""
    try:
        return DATASETS[key]
    except KeyError:
        msg = f"unknown dataset {key!r}; use one of: {', '.join(sorted(DATASETS))}"
        raise DataSourceError(msg) from None


def verify_checksum(key: str, data_dir: Path) -> bool:
    """True when the file's SHA-256 equals the registry's."""
    ds = get_dataset(key)
    return sha256_file(ds.path(data_dir)) == ds.sha256


def fetch_dataset(key: str, data_dir: Path, *, base_url: str | None = None,
                  progress: bool = True, timeout_seconds: float = 10.0) -> Path:
    """Download one dataset into ``data_dir`` with pooch, verifying its SHA-256.

    ``base_url`` (or ``GEO_DATA_URL``) is a mirror of the prepared bundle laid out like
    ``data_dir``.  A file that already exists with the right checksum is not downloaded again;
    a tampered or truncated download is refused.
    """
    import pooch  # lazy: optional at import time

    ds = get_dataset(key)
    base = base_url or os.environ.get("GEO_DATA_URL")
    if not base:
        msg = (
            f"no download mirror configured for {ds.relpath}. Set GEO_DATA_URL (or --base-url) to "
            f"a copy of the bundle, or download it from the publisher ({ds.url}) and point "
            "GEO_DATA_DIR / --data-dir at the folder holding it"
        )
        raise DataSourceError(msg)
    target = ds.path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    url = base.rstrip("/") + "/" + ds.relpath
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout_seconds)
    try:
        out = pooch.retrieve(url, known_hash=f"sha256:{ds.sha256}", fname=target.name,
                             path=target.parent, downloader=downloader)
    except ValueError as exc:  # pooch raises ValueError on hash mismatch (and deletes the download)
        stale = target.is_file() and sha256_file(target) != ds.sha256
        if stale:  # never leave a copy that fails its checksum in place as if it were valid
            target.unlink()
        msg = (f"{ds.relpath} (dataset {ds.key!r}): the file downloaded from {url} failed its SHA-256 check "
               f"(expected {ds.sha256}) and was refused{'; the invalid local copy was removed' if stale else ''}. "
               "The mirror copy is damaged or tampered with: check GEO_DATA_URL / --base-url points at a "
               f"genuine copy of the bundle and download it again ({exc})")
        raise DataSourceError(msg) from exc
    except Exception as exc:  # network errors: requests/urllib exceptions vary by backend
        msg = (
            f"could not download {url} ({type(exc).__name__}: {exc}). If this machine is offline, "
            "copy the bundle here by hand and set GEO_DATA_DIR (or --data-dir) to it"
        )
        raise DataSourceError(msg) from exc
    logger.info("fetched %s -> %s", key, out)
    return Path(out)
