"""Run the simulator standalone: `python -m surgiai.simulator --port 8081`."""

from __future__ import annotations

import argparse

import uvicorn

from surgiai.simulator.app import create_simulator_app
from surgiai.simulator.config import SimulatorConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="WhatsApp Cloud API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--time-compression", type=float, default=1.0)
    parser.add_argument("--control-token", default=None)
    args = parser.parse_args()
    config = SimulatorConfig(
        time_compression=args.time_compression, control_token=args.control_token
    )
    uvicorn.run(create_simulator_app(config), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
