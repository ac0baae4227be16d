"""An embedded simulator of the Seedance API, served over real HTTP for the demo and the tests."""

from seedance_tui.sim.app import create_app
from seedance_tui.sim.config import SimConfig, add_sim_arguments, sim_config_from_args
from seedance_tui.sim.pricing import credits_for
from seedance_tui.sim.server import SimulatorServer, serve_forever
from seedance_tui.sim.state import SimState

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
