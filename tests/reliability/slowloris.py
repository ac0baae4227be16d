"""A bounded slow-loris client: many half-sent requests, one byte a second each, loopback only.

    python -m tests.reliability.slowloris PORT [--connections 2000] [--seconds 10]

Prints one JSON line: connections opened, failed, closed by the server (and the longest any
stayed open before that), and still open when the attack ended.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import time
from dataclasses import asdict, dataclass

#: Hard bounds whatever the arguments say.
MAX_CONNECTIONS = 2000
MAX_SECONDS = 60.0
_HALF_REQUEST = b"POST /webhooks/seedance/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"


@dataclass
class Tally:
    opened: int = 0
    failed: int = 0
    closed_by_server: int = 0
    longest_open: float = 0.0
    still_open: int = 0


async def _one(port: int, end: float, tally: Tally) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 3.0)
    except (OSError, TimeoutError):
        tally.failed += 1
        return
    tally.opened += 1
    opened_at = time.monotonic()
    try:
        writer.write(_HALF_REQUEST)
        while time.monotonic() < end:
            try:
                data = await asyncio.wait_for(reader.read(1024), min(1.0, max(0.01, end - time.monotonic())))
            except TimeoutError:
                writer.write(b"X")  # one more byte: the request is never finished
                continue
            if not data:
                raise ConnectionResetError
    except OSError:
        tally.closed_by_server += 1
        tally.longest_open = max(tally.longest_open, time.monotonic() - opened_at)
    else:
        tally.still_open += 1
    finally:
        writer.transport.abort()


async def attack(port: int, connections: int, seconds: float) -> Tally:
    """Open ``connections`` half-sent requests (about 500 a second) and trickle bytes until ``seconds``."""
    connections, seconds = min(connections, MAX_CONNECTIONS), min(seconds, MAX_SECONDS)
    tally = Tally()
    end = time.monotonic() + seconds
    tasks = []
    for n in range(connections):
        tasks.append(asyncio.create_task(_one(port, end, tally)))
        if n % 50 == 49:
            await asyncio.sleep(0.1)
    await asyncio.gather(*tasks)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=MAX_CONNECTIONS)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, MAX_CONNECTIONS + 256)), hard))
    tally = asyncio.run(attack(args.port, args.connections, args.seconds))
    print(json.dumps(asdict(tally)), flush=True)


if __name__ == "__main__":
    main()
