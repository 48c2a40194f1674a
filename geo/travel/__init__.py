"""Travel: how long it takes to get from an LSOA to a site.

Owns the travel vocabulary (:class:`~geo.travel.modes.TravelMode`, :class:`~geo.travel.modes.Method`),
road networks from OpenStreetMap, snapping, shortest paths (scipy csgraph), the calibrated
straight-line estimate, public transport (Valhalla + GTFS), site x origin matrices and
catchments.  May import :mod:`geo.data` and the foundation modules; nothing downstream.
"""
