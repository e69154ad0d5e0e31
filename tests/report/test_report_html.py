"""The self-contained HTML report, checked as text and rendered in headless Chromium.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``: file
descriptors 3 and 4, NUL-separated JSON), so the test needs no extra Python package: it records
every console message, uncaught exception, log entry and network request while the page loads,
then takes a screenshot (kept in tests/artifacts/report.png).
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bayescape.errors import BayescapeError
from bayescape.report import FIGURES, render_report, write_report

CHROMIUM = os.environ.get("BAYESCAPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
]


@pytest.fixture(scope="module")
def page(result) -> str:
    return render_report(result, figures=("forest", "ppc"), replication=True)


@pytest.fixture(scope="module")
def report_file(result, tmp_path_factory) -> Path:
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


@pytest.mark.behaviour
def test_report_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # nothing is loaded from anywhere: every src/href is a data: URI or an in-page anchor
    for attr, value in re.findall(r'\b(src|href)="([^"]*)"', page):
        assert value.startswith(("data:", "#")), (attr, value)
    assert "<script" not in page and "@import" not in page and "url(" not in page


@pytest.mark.behaviour
def test_report_has_every_section(result, page):
    for anchor in ("diagnostics", "data", "spec", "tables", "figures", "replication"):
        assert f'id="{anchor}"' in page
    assert page.count('src="data:image/png;base64,') == 2
    assert 'id="figure-forest"' in page and 'id="figure-ppc"' in page
    assert result.spec.hash in page and "banner ok" in page and "DIAGNOSTICS FAILED" not in page
    assert "Critical scale N_c per family" in page and "Pythia" in page
    assert "claim" in page.lower()  # the replication table (its module is in this tree)
    # the spec file is shown escaped: its comparisons cannot open tags
    assert "&lt;" in page or "<" not in result.spec.text


@pytest.mark.behaviour
def test_failed_diagnostics_are_loud(failed_result):
    page = render_report(failed_result, figures=(), replication=False)
    assert 'class="banner fail"' in page and "DIAGNOSTICS FAILED: do not report" in page
    assert 'role="alert"' in page and "divergent" in page
    assert page.index("banner fail") < page.index('id="data"')


@pytest.mark.behaviour
def test_report_arguments(result, tmp_path):
    with pytest.raises(BayescapeError, match=r"end the name in \.html"):
        write_report(result, tmp_path / "report.pdf")
    with pytest.raises(BayescapeError, match="unknown figure"):
        render_report(result, figures=("pie",))


def test_replication_warnings_reach_the_caller(result, monkeypatch):
    """Only the shipped datasets' DataWarnings are silenced around the replication table (a
    blanket filter once hid every warning, divergences and Pareto k included)."""
    import warnings

    import pandas as pd

    from bayescape.analysis import replication
    from bayescape.data import DataWarning

    def table(**_kwargs):
        warnings.warn("a note on a shipped dataset", DataWarning, stacklevel=2)
        warnings.warn("3 divergent transitions in the frontier fit", UserWarning, stacklevel=2)
        return pd.DataFrame({"claim": ["N_c"], "paper": ["3.5B"]}).set_index("claim")

    monkeypatch.setattr(replication, "replication_table", table)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_report(result, figures=(), replication=True)
    assert [str(w.message) for w in caught] == ["3 divergent transitions in the frontier fit"]
    assert "3.5B" in page


class DevTools:
    """A minimal Chrome DevTools protocol client over ``--remote-debugging-pipe``."""

    def __init__(self, binary: str, user_data_dir: str) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        os.set_inheritable(to_browser_r, True)
        os.set_inheritable(from_browser_w, True)

        def wire_fds() -> None:  # runs in the child: its fd 3 reads commands, fd 4 answers
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict | None:
        while b"\0" not in self._buffer:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], wait)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply is None:
                raise TimeoutError(f"no answer to {method}")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            if event is None:
                raise TimeoutError(f"no {method} event")
            self.events.append(event)
            if event.get("method") == method:
                return event

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (event := self._read_message(deadline)) is not None:
            self.events.append(event)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5.0)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.mark.behaviour
def test_report_renders_in_headless_chromium(report_file, artifacts):
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(
            f"headless Chromium not found at {CHROMIUM} (Debian package: chromium; or "
            "set BAYESCAPE_CHROMIUM)"
        )
    with tempfile.TemporaryDirectory() as profile:
        browser = DevTools(CHROMIUM, profile)
        try:
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network"):
                browser.call(f"{domain}.enable", session=session)
            browser.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1200, "height": 2000, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            browser.call("Page.navigate", {"url": report_file.as_uri()}, session=session)
            browser.wait_for("Page.loadEventFired", timeout=60)
            browser.drain(0.5)
            state = browser.call(
                "Runtime.evaluate",
                {
                    "expression": "JSON.stringify({images: [...document.images].map(i => "
                    "[i.complete, i.naturalWidth]), status: document.getElementById('status')"
                    ".textContent, title: document.title})",
                    "returnByValue": True,
                },
                session=session,
            )
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
        finally:
            browser.close()
    events = browser.events
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
    errors += [
        e
        for e in events
        if e.get("method") == "Runtime.consoleAPICalled"
        and e["params"]["type"] in {"error", "assert", "warning"}
    ]
    errors += [
        e
        for e in events
        if e.get("method") == "Log.entryAdded"
        and e["params"]["entry"]["level"] in {"error", "warning"}
    ]
    assert not errors, errors
    requests = [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    external = [u for u in requests if not u.startswith(("file:", "data:", "about:"))]
    assert not external, external
    assert report_file.as_uri() in requests
    loaded = json.loads(state["result"]["value"])
    assert loaded["status"] == "ok" and loaded["title"].startswith("bayescape report")
    assert len(loaded["images"]) == len(FIGURES)
    assert all(complete and width > 100 for complete, width in loaded["images"])
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG")
    (artifacts / "report.png").write_bytes(png)
