"""An embedded simulator of the Seedance API, served over real HTTP for the demo and the tests.

Only the settings load eagerly: the CLI builds the ``sim`` command's flags on every start, and
the server and app bring uvicorn and starlette, which a dashboard start never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedance_tui.lazy import lazy_exports
from seedance_tui.sim.config import SimConfig, add_sim_arguments, sim_config_from_args

if TYPE_CHECKING:
    from seedance_tui.sim.app import create_app
    from seedance_tui.sim.pricing import credits_for
    from seedance_tui.sim.server import SimulatorServer, serve_forever
    from seedance_tui.sim.state import SimState

__getattr__ = lazy_exports(
    __name__,
    {
        "create_app": "app",
        "credits_for": "pricing",
        "SimulatorServer": "server",
        "serve_forever": "server",
        "SimState": "state",
    },
)

__all__ = [
    "SimConfig",
    "SimState",
    "SimulatorServer",
    "add_sim_arguments",
    "create_app",
    "credits_for",
    "serve_forever",
    "sim_config_from_args",
]
