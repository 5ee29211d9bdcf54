#!/usr/bin/env python3
"""Checks of the restreamer pattern (run by ci/test-restream, which starts the processes).

One VLC pulls zerocam's /stream.mjpg (with the viewer login in its URL) and serves MJPEG over
HTTP; this script proves that
  1. the zerocam it talks to is the one the test started (/status `listen`), and that its
     viewer login is on (no credentials -> 401 with a Basic challenge),
  2. N viewers reading VLC's stream at the same time each get a live stream: whole parts,
     every part a complete JPEG (SOI ... EOI, Content-Length right), more than one distinct
     picture, and one frame of each decodes as a 640x480 JPEG in ffmpeg,
  3. while they watch, zerocam has exactly one streaming client (cameras[0].viewers == 1 and
     one entry of `clients` on a camera),
  4. ffmpeg assumes 25 fps for MJPEG over HTTP, and `-use_wallclock_as_timestamps 1` makes
     a recording last as long as it took (the README's recording command).
Prints PASS/FAIL lines and closes with "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

results = []  # (name, ok, detail)


def record(name, ok, detail):
    results.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}: {name}: {detail}", flush=True)


def summary_and_exit():
    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not results else 0)


def get_status(base, auth):
    request = urllib.request.Request(base + "/status")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(request, timeout=5) as reply:
        return json.load(reply)


def streaming_clients(status):
    """zerocam's clients that are on a camera (the /status request itself is not)."""
    return [c for c in status.get("clients", []) if c.get("camera") is not None]


class Viewer(threading.Thread):
    """Reads a multipart/x-mixed-replace stream for `seconds` and checks every part."""

    def __init__(self, index, url, seconds, out_dir):
        super().__init__(daemon=True)
        self.index, self.url, self.seconds, self.out_dir = index, url, seconds, out_dir
        self.frames = 0
        self.distinct = set()
        self.errors = []
        self.saved = None
        self.content_type = ""

    def run(self):
        try:
            self.read()
        except Exception as e:  # any failure is this viewer's result, reported by the caller
            self.errors.append(f"{type(e).__name__}: {e}")

    def read(self):
        parts = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        conn.request("GET", parts.path or "/")
        reply = conn.getresponse()
        self.content_type = reply.getheader("Content-Type", "")
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}")
        boundary = None
        for field in self.content_type.split(";"):
            key, _, value = field.strip().partition("=")
            if key.lower() == "boundary":
                boundary = value.strip('"')
        if not self.content_type.startswith("multipart/x-mixed-replace") or not boundary:
            raise RuntimeError(f"not an MJPEG stream: Content-Type {self.content_type!r}")
        delimiter = b"--" + boundary.encode()
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            line = reply.fp.readline(1024)
            if not line:
                raise RuntimeError(f"stream ended after {self.frames} frames")
            if line.strip() == b"":
                continue
            if line.rstrip(b"\r\n") != delimiter:
                raise RuntimeError(f"expected the boundary, got {line[:60]!r}")
            length = None
            while True:
                header = reply.fp.readline(1024)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                raise RuntimeError("a part without Content-Length")
            body = reply.fp.read(length)
            if len(body) != length:
                raise RuntimeError(f"part cut short: {len(body)} of {length} bytes")
            if not (body.startswith(b"\xff\xd8\xff") and body.rstrip(b"\r\n").endswith(b"\xff\xd9")):
                raise RuntimeError(f"part {self.frames} is not a whole JPEG (SOI...EOI)")
            self.frames += 1
            self.distinct.add(hashlib.sha256(body).digest())
            if self.frames == 3:  # past any frame VLC had cached before we came
                self.saved = os.path.join(self.out_dir, f"viewer{self.index}.jpg")
                with open(self.saved, "wb") as f:
                    f.write(body)
        conn.close()


def probe_jpeg(path):
    """Decodes a JPEG with ffmpeg (errors are fatal) and returns 'WxH' from ffprobe."""
    subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", path, "-f", "null", "-"],
                   check=True, capture_output=True, timeout=20)
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                           "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", path],
                          check=True, capture_output=True, text=True, timeout=20)
    return size.stdout.strip()


def recorded_seconds(url, frames, wallclock, out):
    """Records `frames` frames with -c copy (as the README says) and returns the file's duration."""
    args = ["ffmpeg", "-hide_banner", "-v", "error", "-y"]
    if wallclock:
        args += ["-use_wallclock_as_timestamps", "1"]
    args += ["-i", url, "-c", "copy", "-frames:v", str(frames), out]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", out], check=True, capture_output=True, text=True, timeout=20)
    return float(probe.stdout.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zerocam", required=True, help="zerocam base URL, http://127.0.0.1:PORT")
    ap.add_argument("--auth", required=True, help="viewer USER:PASSWORD")
    ap.add_argument("--restream", required=True, help="VLC's stream URL")
    ap.add_argument("--viewers", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--fps", type=int, required=True, help="zerocam's frame rate")
    ap.add_argument("--out", required=True, help="folder for the frames and recordings")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    listen = urllib.parse.urlsplit(args.zerocam).netloc

    # 1. Our zerocam, with its login on.
    try:
        status = get_status(args.zerocam, args.auth)
        record("our zerocam", status.get("http", {}).get("listen") == listen,
               f"/status listen {status.get('http', {}).get('listen')!r}, started on {listen!r}")
    except Exception as e:
        record("our zerocam", False, f"/status with the viewer login: {type(e).__name__}: {e}")
        summary_and_exit()
    try:
        get_status(args.zerocam, None)
        record("viewer login on", False, "/status answered without credentials")
    except urllib.error.HTTPError as e:
        challenge = e.headers.get("WWW-Authenticate", "")
        record("viewer login on", e.code == 401 and challenge.startswith("Basic"),
               f"no credentials -> {e.code}, WWW-Authenticate {challenge!r}")

    # 2. + 3. N viewers on VLC at once; zerocam meanwhile serves one stream.
    viewers = [Viewer(i, args.restream, args.seconds, args.out) for i in range(args.viewers)]
    started = time.monotonic()
    for v in viewers:
        v.start()
    samples = []
    while time.monotonic() - started < args.seconds and any(v.is_alive() for v in viewers):
        time.sleep(args.seconds / 5)
        try:
            s = get_status(args.zerocam, args.auth)
            samples.append((s["cameras"][0]["viewers"], len(streaming_clients(s))))
        except Exception as e:
            samples.append((None, f"{type(e).__name__}: {e}"))
    for v in viewers:
        v.join(args.seconds + 10)
    elapsed = time.monotonic() - started

    for v in viewers:
        ok = not v.errors and v.frames >= 5 and len(v.distinct) >= 2
        fps = v.frames / elapsed if elapsed > 0 else 0.0
        detail = (f"{v.frames} frames ({len(v.distinct)} distinct, {fps:.1f} fps) in {elapsed:.1f} s, "
                  f"all whole JPEGs; {v.content_type}")
        record(f"viewer {v.index} on VLC", ok, "; ".join(v.errors) or detail)
        if v.saved:
            try:
                size = probe_jpeg(v.saved)
                record(f"viewer {v.index} frame decodes", size == "mjpeg,640,480", f"ffprobe: {size}")
            except (subprocess.SubprocessError, OSError) as e:
                err = getattr(e, "stderr", b"") or b""
                record(f"viewer {v.index} frame decodes", False, f"{e} {err[:200]!r}")
    one = bool(samples) and all(sample == (1, 1) for sample in samples)
    record("zerocam serves one stream", one,
           f"(cameras[0].viewers, streaming clients) while {args.viewers} watched VLC: {samples}")

    # 4. The frame-rate line in the README: 25 fps assumed; arrival times with the option.
    # Read from zerocam directly, with the login in the URL as the README shows it.
    parts = urllib.parse.urlsplit(args.zerocam)
    user, _, password = args.auth.partition(":")
    source = f"http://{urllib.parse.quote(user)}:{urllib.parse.quote(password)}@{parts.netloc}/stream.mjpg"
    frames = 2 * args.fps  # two seconds of real time
    try:
        plain = recorded_seconds(source, frames, False, os.path.join(args.out, "rec-plain.mkv"))
        record("ffmpeg assumes 25 fps", abs(plain - frames / 25) < 0.05,
               f"{frames} frames at {args.fps} fps recorded without the option: {plain:.2f} s "
               f"(25 fps would be {frames / 25:.2f} s)")
        wall = recorded_seconds(source, frames, True, os.path.join(args.out, "rec-wallclock.mkv"))
        # Arrival times: about two seconds. The bound only has to tell it from 25 fps.
        record("-use_wallclock_as_timestamps 1", wall > 1.5 * frames / 25 and wall > 1.2,
               f"the same with the option: {wall:.2f} s (real time {frames / args.fps:.1f} s)")
    except (subprocess.SubprocessError, OSError, ValueError) as e:
        err = getattr(e, "stderr", b"") or b""
        record("ffmpeg recording", False, f"{e} {err[-300:]!r}")

    summary_and_exit()


if __name__ == "__main__":
    main()
