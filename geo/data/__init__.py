"""Data: the open-data bundle and users' files, turned into frames in EPSG:27700.

Owns the dataset registry (publisher, URL, licence, checksum), loaders for boundaries, IMD,
population, rurality and deaths, the LSOA master table, areas, geocoding, the service-site
registry and user uploads (sites files, polygons, treatment-client extracts read and mapped to
LSOA 2021 in memory).  Imports only the foundation modules (``geo._errors``,
``geo.config``, ``geo.crs``, ``geo.cache``, ``geo.progress``).
"""
