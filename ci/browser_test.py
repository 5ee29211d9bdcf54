#!/usr/bin/env python3
"""Browser test of zerocam's live-view page (run by ci/browser-test).

Headless Chromium (Debian's /usr/bin/chromium driven by /usr/bin/chromedriver through
Selenium; nothing is downloaded) opens the page and proves the picture is live:
  1. the #live image has decoded a frame of the expected size (--size),
  2. the #frame counter advances between two reads ~2 s apart,
  3. two screenshots of #live taken ~1 s apart differ (saved in --out for a person to see),
  4. at phone (390x844) and laptop (1280x720) window sizes the whole picture is on screen
     with no scrolling, and the uptime reads in hours/minutes (screenshots saved),
With --login USER:PASSWORD the page is opened once with those credentials (as a person
answering the browser's login prompt) and everything above must still work: the stream and
the page's own /status polling reuse the login.
Prints PASS/FAIL lines and closes with "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must never download
os.environ.setdefault("SE_AVOID_STATS", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

results = []  # (name, ok, detail)


def record(name, ok, detail):
    results.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}: {name}: {detail}", flush=True)


def wait_for(fn, timeout, interval=0.2):
    """Polls fn() until it returns a truthy value or timeout seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while True:
        try:
            value = fn()
        except Exception:  # a transient JS/DOM error counts as "not yet"
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def brief(e):
    """One line for an exception (Selenium's messages carry a long native stack trace)."""
    msg = getattr(e, "msg", None) or str(e)
    return f"{type(e).__name__}: {(msg.strip().splitlines() or [''])[0][:300]}"


def summary_and_exit():
    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not results else 0)


def on_term(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="page to open, e.g. http://127.0.0.1:8080/")
    ap.add_argument("--out", default="out/browser", help="folder for the screenshots")
    ap.add_argument("--load-timeout", type=float, default=30.0)
    ap.add_argument("--size", default="640x480", help="expected picture size WxH")
    ap.add_argument("--login", help="USER:PASSWORD for a camera with viewer login")
    ap.add_argument("--prefix", default="", help="prefix for screenshot names")
    args = ap.parse_args()
    expect_w, expect_h = (int(n) for n in args.size.split("x"))
    signal.signal(signal.SIGTERM, on_term)
    os.makedirs(args.out, exist_ok=True)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="zerocam-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    # The MJPEG stream never finishes, so the window "load" event may never fire: return once
    # the DOM is ready and poll for what we need instead.
    opts.page_load_strategy = "eager"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=1024,768",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    service = Service(
        executable_path=CHROMEDRIVER,
        log_output=os.path.join(args.out, "chromedriver.log"),
    )

    driver = None
    try:
        try:
            driver = webdriver.Chrome(service=service, options=opts)
        except Exception as e:
            record("start headless chromium", False, brief(e))
            summary_and_exit()
        driver.set_page_load_timeout(args.load_timeout)
        driver.set_script_timeout(10)
        print(f"browser: {driver.capabilities.get('browserName')} "
              f"{driver.capabilities.get('browserVersion')}, opening {args.url}", flush=True)
        url = args.url
        if args.login:
            # Credentials in the URL are what the browser's login prompt would send; the
            # page's own requests (stream, /status) must then go through on that login.
            url = url.replace("http://", f"http://{args.login}@", 1)
        try:
            driver.get(url)
        except Exception as e:
            record("load page", False, brief(e))
            summary_and_exit()

        # 1. The stream's first frame decoded at the clip's size.
        size = wait_for(
            lambda: driver.execute_script(
                "const i = document.getElementById('live');"
                "return i && i.naturalWidth > 0"
                " ? [i.naturalWidth, i.naturalHeight] : null;"),
            timeout=15)
        if size is None:
            record("#live image loaded", False, "no decoded frame within 15 s (naturalWidth 0)")
        else:
            w, h = size
            record("#live image loaded", (w, h) == (expect_w, expect_h),
                   f"naturalWidth x naturalHeight = {w}x{h} (want {expect_w}x{expect_h})")

        # 2. The published-frame counter advances (the page refreshes it from /status each second).
        def frame_count():
            text = driver.find_element(By.ID, "frame").text.strip()
            return int(text) if text.isdigit() else None

        first = wait_for(frame_count, timeout=10)
        if first is None:
            record("#frame counter advances", False, "#frame never showed a number within 10 s")
        else:
            time.sleep(2.2)
            second = frame_count()
            record("#frame counter advances", second is not None and second > first,
                   f"{first} -> {second} over ~2 s")

        # 3. The picture itself changes: two element screenshots ~1 s apart differ.
        try:
            live = driver.find_element(By.ID, "live")
            shot1 = live.screenshot_as_png
            time.sleep(1.0)
            shot2 = live.screenshot_as_png
            paths = []
            for i, png in enumerate((shot1, shot2), 1):
                path = os.path.join(args.out, f"{args.prefix}live-{i}.png")
                with open(path, "wb") as f:
                    f.write(png)
                paths.append(path)
            full = os.path.join(args.out, f"{args.prefix}page.png")
            driver.save_screenshot(full)
            record("#live picture changes", shot1 != shot2,
                   f"{len(shot1)} B vs {len(shot2)} B PNG, "
                   f"{'different' if shot1 != shot2 else 'IDENTICAL'} "
                   f"({', '.join(paths)}; whole page {full})")
        except Exception as e:
            record("#live picture changes", False, brief(e))

        # 4. The picture fits the window on a phone and on a laptop; uptime in h/min.
        for label, (width, height) in (("phone", (390, 844)), ("laptop", (1280, 720))):
            try:
                driver.set_window_rect(width=width, height=height)
                time.sleep(0.5)
                fit = driver.execute_script(
                    "const r = document.getElementById('live').getBoundingClientRect();"
                    "const s = document.scrollingElement;"
                    "return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight,"
                    " s.scrollWidth, s.scrollHeight];")
                left, top, right, bottom, inner_w, inner_h, scroll_w, scroll_h = fit
                ok = (left >= -0.5 and top >= -0.5 and right <= inner_w + 0.5 and bottom <= inner_h + 0.5
                      and scroll_w <= inner_w + 1 and scroll_h <= inner_h + 1 and right - left > 100)
                path = os.path.join(args.out, f"{args.prefix}{label}.png")
                driver.save_screenshot(path)
                record(f"picture fits a {label} window", ok,
                       f"window {inner_w}x{inner_h}, picture at ({left:.0f},{top:.0f})-({right:.0f},{bottom:.0f}), "
                       f"page {scroll_w}x{scroll_h} ({path})")
            except Exception as e:
                record(f"picture fits a {label} window", False, brief(e))
        uptime = driver.find_element(By.ID, "uptime").text.strip()
        record("uptime reads in s/min/h", uptime.endswith((" s", " min", " h")) and uptime[0].isdigit(),
               f"uptime {uptime!r}")
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception:
                pass
        shutil.rmtree(profile, ignore_errors=True)

    summary_and_exit()


if __name__ == "__main__":
    main()
