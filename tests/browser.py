"""A headless Chromium the tests can ask what a page looks like: load a file at a window width
and evaluate JavaScript in it over the DevTools protocol (tornado's websocket client, already a
dependency of Jupyter). Used to check the published HTML at phone width: which columns are in
view, where Thai lines break."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

__all__ = ["CHROMIUM", "evaluate"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def _session(ws_url: str, url: str, width: int, script: str):
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(ws_url, max_message_size=1 << 26)
    counter = 0

    async def call(method: str, **params):
        nonlocal counter
        counter += 1
        await conn.write_message(json.dumps({"id": counter, "method": method, "params": params}))
        while True:
            message = json.loads(await conn.read_message())
            if message.get("id") == counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            if message.get("method") == "Page.loadEventFired":
                loaded.set()

    loaded = asyncio.Event()
    await call("Page.enable")
    await call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=width < 600,
    )
    await call("Page.navigate", url=url)
    for _ in range(600):  # wait for the load event (fonts are inline: no network)
        if loaded.is_set():
            break
        try:
            message = json.loads(await asyncio.wait_for(conn.read_message(), 0.1))
            if message.get("method") == "Page.loadEventFired":
                loaded.set()
        except TimeoutError:
            pass
    await call("Runtime.evaluate", expression="document.fonts.ready", awaitPromise=True)
    result = await call(
        "Runtime.evaluate", expression=script, returnByValue=True, awaitPromise=True
    )
    conn.close()
    if "exceptionDetails" in result:
        raise RuntimeError(result["exceptionDetails"])
    return result["result"].get("value")


def evaluate(page: Path, script: str, width: int = 390):
    """The value of the JavaScript expression `script` in `page` opened at `width` px."""
    # Chromium's helper processes may still write to the profile as it is removed
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            port = None
            for line in proc.stderr:
                m = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
                if m:
                    port = m.group(1)
                    break
            if port is None:
                raise RuntimeError("Chromium did not start its DevTools endpoint")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = [t for t in json.load(r) if t["type"] == "page"]
            ws_url = targets[0]["webSocketDebuggerUrl"]
            return asyncio.run(_session(ws_url, page.resolve().as_uri(), width, script))
        finally:
            proc.kill()
            proc.wait(timeout=30)
