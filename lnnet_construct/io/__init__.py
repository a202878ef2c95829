"""Reading and writing: exact network files, points files, witnesses and ecosystem exports."""

from .network_file import dumps_network, load_network, loads_network, network_from_dict, network_to_dict, save_network
from .points import PointSet, check_consistent, load_points, save_points_csv

__all__ = [
    "load_network",
    "save_network",
    "loads_network",
    "dumps_network",
    "network_to_dict",
    "network_from_dict",
    "PointSet",
    "load_points",
    "save_points_csv",
    "check_consistent",
]
