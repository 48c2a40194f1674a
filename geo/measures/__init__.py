"""Measures: what the travel times mean for people.

Owns coverage by threshold, equity indices, floating-catchment access (2SFCA/E2SFCA), need,
gap scores, treatment-client summaries, disclosure control, opening hours and access to
public-transport stops.  May import :mod:`geo.data` and :mod:`geo.travel`.
"""
