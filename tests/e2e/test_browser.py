"""``seedance-tui serve`` in a real headless browser (issue 15): Debian's chromium driven by selenium.

The page loads, the table shows the stored jobs, a key press reaches the app, and a second tab
follows the first one's poller. Terminal output reaches xterm.js over a websocket and is drawn on
a canvas, so the test reads what the page received: a script installed before the page's own
records every websocket message.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seedance_tui.models import GenerationRequest
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from tests.conftest import API_KEY
from tests.reliability.helpers import ROOT
from tests.support import free_port

pytestmark = pytest.mark.e2e

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")

#: Installed before any page script: keeps every websocket message (the app's screen output) as text.
RECORD_WEBSOCKET = """
window.__received = [];
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new Native(...args);
  socket.addEventListener("message", async (event) => {
    let data = event.data;
    if (data instanceof Blob) data = await data.text();
    else if (data instanceof ArrayBuffer) data = new TextDecoder().decode(data);
    window.__received.push(String(data));
  });
  return socket;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
"""


@pytest.fixture
def served(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path, tmp_path: Path
) -> Iterator[str]:
    """``seedance-tui serve`` on a store holding two jobs; yields its URL."""
    import asyncio

    async def submit() -> None:
        service = service_factory(sim.url)
        for n in range(2):
            await service.submit(GenerationRequest("seedance-2.0", f"A heron over a misty lake {n}"))
        await service.close()

    asyncio.run(submit())
    port = free_port()
    env = {**os.environ, "SEEDANCE_API_KEY": API_KEY, "SEEDANCE_CONFIG": str(tmp_path / "none.toml")}
    argv = [sys.executable, "-m", "seedance_tui", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*argv, "--db", str(db_path), "--base-url", sim.url],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "serve did not listen"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver packages (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1400,900", f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    record_websockets(driver)
    try:
        yield driver
    finally:
        driver.quit()


def record_websockets(driver: object) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_WEBSOCKET})  # type: ignore[attr-defined]


def received(driver: object) -> str:
    return str(driver.execute_script("return window.__received ? window.__received.join('') : ''"))  # type: ignore[attr-defined]


def wait_until(check: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {limit} s"
        time.sleep(0.2)


def test_the_served_dashboard_shows_the_jobs_takes_keys_and_a_second_tab_follows(
    served: str, browser: object
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(served)  # type: ignore[attr-defined]
    wait_until(lambda: "A heron over a misty lake" in received(driver), 40, "the jobs in the table")
    wait_until(lambda: "polling" in received(driver), 20, "the first tab polls")
    body_classes = driver.find_element(By.TAG_NAME, "body").get_attribute("class")  # type: ignore[attr-defined]
    assert "-first-byte" in (body_classes or "")  # textual.js drew the app's output

    terminal = driver.find_element(By.CSS_SELECTOR, ".textual-terminal")  # type: ignore[attr-defined]
    ActionChains(driver).click(terminal).send_keys("n").perform()  # type: ignore[arg-type]
    wait_until(lambda: "New video" in received(driver), 20, "the key n opened the submit form")

    driver.switch_to.new_window("tab")  # type: ignore[attr-defined]
    record_websockets(driver)  # a new tab is a new target: install the recorder there too
    driver.get(served)  # type: ignore[attr-defined]
    wait_until(lambda: "A heron over a misty lake" in received(driver), 40, "the second tab's table")
    wait_until(lambda: "following" in received(driver), 20, "the second tab follows the first")


def test_binding_beyond_loopback_warns_that_anyone_can_use_the_key() -> None:
    from seedance_tui.web_serve import exposure_warning

    assert exposure_warning("127.0.0.1", 8000) is None and exposure_warning("::1", 8000) is None
    assert exposure_warning("localhost", 8000) is None
    warning = exposure_warning("0.0.0.0", 8000)
    assert warning is not None and "API key" in warning and "--read-only" in warning
