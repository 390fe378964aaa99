#!/usr/bin/env python3
"""The README's screenshots, taken from a running demo in a real headless Chromium (DevTools protocol).

    python3 tools/run_demo.py --reset        # in one terminal: a fresh Dutch demo
    python3 tools/screenshots.py             # in another: docs/screenshots/*.png

It does what the README's walkthrough does, as admin, and photographs each screen: the first-login prompt
(answered: receiving on), the Settings block, Demo Klant B.V.'s invoice sent and delivered, the batch report
of the demo's invoices, the bill of Drukkerij Oud Tarief B.V. with its check, and the user preferences.
Needs ``chromium`` and ``websocket-client``. Options: ``--url`` (default http://localhost:8069), ``--db`` (default
econnect_demo), ``--out`` (default docs/screenshots).
"""

import argparse
import base64
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH, HEIGHT = 1400, 900


class Rpc:
    """JSON-RPC as admin (the same session cookie the browser gets)."""

    def __init__(self, url, db, login="admin", password="admin"):  # noqa: S107 (the demo's documented login)
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), urllib.request.ProxyHandler({})
        )
        self.uid = self.call("/web/session/authenticate", {"db": db, "login": login, "password": password})["uid"]

    def call(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        request = urllib.request.Request(self.url + path, data=body, headers={"Content-Type": "application/json"})
        with self.opener.open(request, timeout=120) as response:
            answer = json.loads(response.read())
        if answer.get("error"):
            raise RuntimeError(json.dumps(answer["error"])[:2000])
        return answer["result"]

    def kw(self, model, method, args=(), **kwargs):
        return self.call("/web/dataset/call_kw", {"model": model, "method": method, "args": list(args),
                                                   "kwargs": kwargs})

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        found = self.kw("ir.model.data", "search_read", [[("module", "=", module), ("name", "=", name)]],
                        fields=["res_id"])
        return found[0]["res_id"]

    def session_id(self):
        return next(c.value for c in self.jar if c.name == "session_id")


class Chromium:
    """One headless Chromium tab driven over the DevTools protocol."""

    def __init__(self):
        import websocket  # websocket-client: only this command needs it

        binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                      None)
        if not binary:
            raise SystemExit("Chromium is needed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="econnect-shots-")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", f"--window-size={WIDTH},{HEIGHT}",
             "--force-device-scale-factor=1", "--lang=en-US", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        port = None
        for line in self.process.stderr:
            match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if match:
                port = int(match.group(1))
                break
        if port is None:
            raise SystemExit("Chromium did not start")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.loads(response.read()) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True})
        if result.get("exceptionDetails"):
            raise RuntimeError(f"{expression[:120]}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def cookie(self, url, name, value):
        self.send("Network.setCookie", {"url": url, "name": name, "value": value})

    def goto(self, url):
        self.send("Page.navigate", {"url": url})

    def wait(self, selector, timeout=60):
        deadline = time.monotonic() + timeout
        check = f"!!document.querySelector({json.dumps(selector)})"
        while time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):
                if self.js(check):
                    return
            time.sleep(0.25)
        raise SystemExit(f"timed out waiting for {selector}")

    def click(self, selector):
        self.wait(selector)
        self.js(f"document.querySelector({json.dumps(selector)}).click()")

    def settle(self, seconds=1.0):
        """Let Odoo finish rendering (fonts, lazy widgets, animations)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not self.js("document.readyState === 'complete'"):
            time.sleep(0.1)
        time.sleep(seconds)

    def shot(self, path, selector=None, margin=12, elements=None):
        """A PNG of the viewport, or of the element ``selector`` (or the box around the elements the JavaScript
        expression ``elements`` gives), scrolled into view."""
        params = {"format": "png"}
        if selector or elements:
            elements = elements or f"[document.querySelector({json.dumps(selector)})]"
            self.js(f"({elements})[0].scrollIntoView({{block: 'start'}})")
            time.sleep(0.4)
            x, y, right, bottom = self.js(
                f"(() => {{ const r = ({elements}).map(e => e.getBoundingClientRect());"
                f" return [Math.min(...r.map(b => b.left)), Math.min(...r.map(b => b.top)),"
                f" Math.max(...r.map(b => b.right)), Math.max(...r.map(b => b.bottom))]; }})()"
            )
            w, h = right - x, bottom - y
            params["clip"] = {"x": max(0, x - margin), "y": max(0, y - margin), "width": w + 2 * margin,
                              "height": min(h + 2 * margin, HEIGHT), "scale": 1}
        data = self.send("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))
        print(f"wrote {os.path.relpath(path, ROOT)}", flush=True)

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def wait_until(predicate, what, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise SystemExit(f"timed out waiting for {what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="econnect_demo")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"))
    opts = parser.parse_args()
    os.makedirs(opts.out, exist_ok=True)
    rpc = Rpc(opts.url, opts.db)
    company_id = rpc.ref("base.demo_company_nl")
    browser = Chromium()
    try:
        browser.send("Network.enable")
        browser.cookie(opts.url, "session_id", rpc.session_id())
        browser.cookie(opts.url, "cids", str(company_id))
        out = opts.out.rstrip("/")

        # the first login: the prompt, answered (receiving on)
        company = rpc.kw("res.company", "read", [[company_id]], fields=["econnect_receive"])[0]
        browser.goto(opts.url + "/odoo")
        if not company["econnect_receive"]:
            browser.wait(".modal .o_econnect_receive_prompt")
            browser.settle()
            browser.shot(f"{out}/first-login-prompt.png", ".modal .modal-content")
            browser.click(".modal .o_econnect_receive_prompt .o_data_row:first-child .o_field_boolean_toggle input")
            time.sleep(0.5)
            browser.click(".modal button[name='action_save']")
            wait_until(lambda: rpc.kw("res.company", "read", [[company_id]], fields=["econnect_receive"])[0][
                "econnect_receive"], "receiving on")

        # Settings > Invoicing > eConnect
        browser.goto(opts.url + "/odoo/action-account.action_account_config")
        browser.wait("#econnect_connection")
        browser.settle()
        block = "document.querySelector('#econnect_connection').closest('.o_settings_container')"
        browser.shot(f"{out}/settings.png", elements=f"[{block}.previousElementSibling, {block}]")

        # Demo Klant B.V.'s invoice: Send via eConnect, then Delivered
        invoice = rpc.ref("econnect_demo_nl.invoice_klant")
        state = rpc.kw("account.move", "read", [[invoice]], fields=["econnect_state"])[0]["econnect_state"]
        if state == "not_sent":
            rpc.kw("account.move", "action_econnect_send", [[invoice]])
        journal = rpc.kw("account.move", "read", [[invoice]], fields=["journal_id"])[0]["journal_id"][0]

        def delivered():
            rpc.kw("account.journal", "action_econnect_refresh_statuses", [[journal]])
            return rpc.kw("account.move", "read", [[invoice]], fields=["econnect_state"])[0]["econnect_state"] == (
                "delivered")

        wait_until(delivered, "the invoice to be delivered")
        browser.goto(f"{opts.url}/odoo/action-account.action_move_out_invoice_type/{invoice}")
        browser.wait(".o_form_view .o_field_widget[name='econnect_state']")
        browser.settle()
        browser.shot(f"{out}/invoice-delivered.png")

        # the batch: the demo's invoices at once; the one without an order number is reported
        names = ["invoice_groothandel", "invoice_client_be", "invoice_gemeente",
                 "invoice_gemeente_without_order_reference", "credit_note_klant"]
        batch = [rpc.ref(f"econnect_demo_nl.{name}") for name in names]
        action = rpc.kw("account.move", "action_econnect_send", [batch])
        browser.goto(opts.url + "/odoo/action-account.action_move_out_invoice_type")
        browser.wait(".o_list_view")
        browser.settle()
        browser.js(f"odoo.__WOWL_DEBUG__.root.env.services.action.doAction({json.dumps(action)})")
        browser.wait(".modal .o_form_view")
        browser.settle()
        browser.shot(f"{out}/batch-report.png", ".modal .modal-content")

        # Vendors > Bills: Drukkerij Oud Tarief B.V.'s bill does not match its e-invoice
        def the_bill():
            return rpc.kw("account.move", "search", [[("econnect_received_document_id", "=", "demo-bill-drukkerij")]])

        wait_until(the_bill, "the demo vendors' bills (run_demo sends them once receiving is on)")
        browser.goto(f"{opts.url}/odoo/action-account.action_move_in_invoice_type/{the_bill()[0]}")
        browser.wait(".o_form_view .o_field_widget[name='econnect_import_issue']")
        browser.settle()
        browser.shot(f"{out}/received-bill-check.png")

        # Preferences > eConnect
        preferences = rpc.kw("res.users", "action_get")
        browser.goto(opts.url + "/odoo")
        browser.wait(".o_main_navbar")
        browser.settle()
        browser.js(f"odoo.__WOWL_DEBUG__.root.env.services.action.doAction({json.dumps(preferences)})")
        browser.wait(".modal .o_notebook a[name='econnect_preferences'], .modal .o_notebook .nav-link")
        browser.js("[...document.querySelectorAll('.modal .o_notebook .nav-link')]"
                   ".find(a => a.textContent.trim() === 'eConnect').click()")
        browser.settle()
        browser.shot(f"{out}/preferences.png", ".modal .modal-content")
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
