"""Main roads of a loaded road network, as simplified lines for map context (EPSG:27700)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.travel.rules import ROAD_CLASSES

if TYPE_CHECKING:
    from geo.travel.graph import Network


def main_roads(net: Network, *, classes: tuple[str, ...] = ("motorway", "trunk", "primary"),
               simplify_metres: float = 30.0) -> pd.DataFrame:
    """Main roads of a network as simplified lines for map context (EPSG:27700).

    Each undirected road segment of the chosen classes once, merged into continuous lines per
    class and simplified (Douglas-Peucker, ``simplify_metres``).  Returns a frame with
    ``road_class`` and ``geometry`` (shapely LineStrings), empty when the network carries no road
    classes (built by an older version) or has none of those roads.
    """
    import shapely

    if net.edge_road_class is None:
        return pd.DataFrame({"road_class": pd.Series(dtype=str), "geometry": pd.Series(dtype=object)})
    wanted = [ROAD_CLASSES.index(c) for c in classes if c in ROAD_CLASSES]
    keep = np.isin(net.edge_road_class, wanted)
    u, v = net.edge_u[keep], net.edge_v[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pairs, first = np.unique(np.column_stack([lo, hi]), axis=0, return_index=True)
    codes = net.edge_road_class[keep][first]
    rows: list[dict[str, object]] = []
    for code in sorted(set(codes.tolist())):
        sel = pairs[codes == code]
        coords = np.stack([np.column_stack([net.node_x[sel[:, 0]], net.node_y[sel[:, 0]]]),
                           np.column_stack([net.node_x[sel[:, 1]], net.node_y[sel[:, 1]]])], axis=1)
        merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(coords)))
        simple = shapely.simplify(merged, simplify_metres)
        parts = shapely.get_parts(simple)
        rows.extend({"road_class": ROAD_CLASSES[code], "geometry": g} for g in parts)
    return pd.DataFrame(rows, columns=["road_class", "geometry"])


__all__ = ["main_roads"]
