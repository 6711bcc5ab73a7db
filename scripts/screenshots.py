#!/usr/bin/env python3
"""`make screenshots`: every hosted page in every state, as the preview (/{pool}/preview) shows
it, written as PNGs by headless Chromium: <out>/<locale>-<mode>-<page>.png.

By default a throwaway Cognate in development mode with a sample pool (required attributes, a
password policy, an outside provider's button); or point it at your own setup:

    scripts/screenshots.py [--config cognate.yaml --pool local_Shop12345 --client <id>]
                           [--themes DIR] [--locales en,ar] [--modes light,dark] [--out screenshots]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLE_CONFIG = """
pools:
  - name: Sample
    id: local_Sample123
    autoVerifiedAttributes: [email]
    schema:
      - {name: email, required: true}
      - {name: given_name, required: true}
    clients:
      - name: web
        id: sampleweb00000000000000000
        secret: sample-client-secret-0123456789abcdef
        callbackURLs: [http://localhost:3000/cb]
        allowedOAuthFlows: [code]
        allowedOAuthScopes: [openid]
"""


def browser():
    """Headless Chromium (Debian's chromium and chromium-driver) through Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=520,760", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def sample_ids(url, pool, client, query=""):
    """The preview's pages, in its order."""
    index = requests.get(f"{url}/{pool}/preview?client_id={client}{query}", timeout=30)
    index.raise_for_status()
    return list(dict.fromkeys(re.findall(r'<section class="preview-sample" id="([^"]+)"', index.text)))


def capture(driver, url, pool, client, locales, modes, out, query="", prefix=""):
    """Saves each page of the preview for each locale and mode; returns {name: path}."""
    os.makedirs(out, exist_ok=True)
    written = {}
    for sample in sample_ids(url, pool, client, query):
        for locale in locales:
            for mode in modes:
                driver.set_window_size(520, 760)
                driver.get(f"{url}/{pool}/preview/{sample}?client_id={client}&lang={locale}&mode={mode}{query}")
                # fonts loaded (or two seconds, whichever comes first)
                driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                            "Promise.race([document.fonts.ready, new Promise(r => setTimeout(r, 2000))]).then(() => done(true));")
                # the whole page, not only what fits the window
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(520, max(760, min(height + 120, 4000)))
                name = f"{prefix}{locale}-{mode}-{sample}"
                path = os.path.join(out, f"{name}.png")
                driver.save_screenshot(path)
                written[name] = path
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.environ.get("COGNATE_BINARY") or os.path.join(ROOT, ".build", "debug", "cognate"))
    parser.add_argument("--config", help="your config file (default: a sample pool)")
    parser.add_argument("--pool", default="local_Sample123")
    parser.add_argument("--client", default="sampleweb00000000000000000")
    parser.add_argument("--themes", help="COGNATE_THEMES_DIR")
    parser.add_argument("--locales", default="en,ar")
    parser.add_argument("--modes", default="light,dark")
    parser.add_argument("--out", default=os.path.join(ROOT, "screenshots"))
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="cognate-screenshots-")
    config = args.config
    if not config:
        config = os.path.join(data, "cognate.yaml")
        with open(config, "w") as f:
            f.write(SAMPLE_CONFIG)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COGNATE_")}, "COGNATE_DATA_DIR": data,
           "COGNATE_DEVELOPMENT": "true", "COGNATE_ARGON2_MEMORY_KIB": "8192", "COGNATE_ARGON2_ITERATIONS": "1"}
    if args.themes:
        env["COGNATE_THEMES_DIR"] = os.path.abspath(args.themes)
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.binary, "serve", "--hostname", "127.0.0.1", "--port", str(port), "--config", config], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    driver = None
    try:
        for _ in range(600):
            try:
                if requests.get(url + "/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        driver = browser()
        written = capture(driver, url, args.pool, args.client, args.locales.split(","), args.modes.split(","), args.out)
        print(f"{len(written)} screenshots in {args.out}")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
