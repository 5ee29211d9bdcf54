#!/usr/bin/env python3
"""Host-side checks of ci/test-libcamera-guest: zerocam's libcamera source in the x86 guest,
reached through QEMU's port forward. Every request first checks the server is the guest this
run booted (its /status hostname), so another server on the port fails at once.

Sequence (one boot):
  1. no camera: libcamera lists none, so /status shows the fault, /snapshot.jpg is the
     fault card at the configured size, and the serial log shows the source retrying;
  2. the camera appears without a dma-buf provider (a connection to the guest's port 7001
     is one step of its script, ci/libcamera-guest/init): the fault says buffers cannot be
     allocated, the card shows, the source retries;
  3. the providers come back (the next step): a retry streams and the fault clears;
  4. streaming: /stream.mjpg frames decode (ffprobe) at the configured size, change, and
     arrive at the configured rate;
  5. /status shows the libcamera camera, its stream and controls; every setting from
     [camera.libcamera] is either among the controls zerocam set (the camera has it) or
     among those it reported as missing; the metadata libcamera returned with the 30th
     frame is shown, and any control zerocam set that libcamera reports back has the value
     asked for;
  6. the next step stops zerocam and runs the libcamera source's allocation test
     (tests/no_alloc_per_frame.rs) in the guest: no allocation per frame in the whole
     process while it streams to 4 readers.
Exit status 0 only if every check passed.
"""

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

failures = []


def record(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        failures.append(name)


class Guest:
    def __init__(self, port, hostname, serial):
        self.port = port
        self.hostname = hostname
        self.serial = serial

    def get(self, path, timeout=20):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request("GET", path)
        response = conn.getresponse()
        return conn, response

    def status(self):
        conn, response = self.get("/status")
        body = response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"/status: HTTP {response.status}")
        status = json.loads(body)
        if status.get("hostname") != self.hostname:
            # Not our guest: fail now rather than test someone else's server.
            print(f"FAIL the server on port {self.port} is {status.get('hostname')!r}, "
                  f"not this run's guest {self.hostname!r}", flush=True)
            sys.exit(1)
        return status

    def camera(self):
        return self.status()["cameras"][0]

    def wait_status(self, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                return self.status()
            except (OSError, http.client.HTTPException, RuntimeError, ValueError):
                time.sleep(1)
        return None

    def serial_text(self):
        with open(self.serial, "rb") as f:
            return f.read().decode("utf-8", "replace")


def wait_for(what, seconds, probe):
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            last = probe()
            if last:
                return last
        except (OSError, http.client.HTTPException, RuntimeError, ValueError) as e:
            last = e
        time.sleep(0.5)
    record(what, False, f"not within {seconds} s (last: {last!r})")
    return None


def jpeg_size(data):
    """(width, height) as ffprobe decodes it, or an error text."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(data)
        f.flush()
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=width,height", "-of", "csv=p=0", f.name],
            capture_output=True, text=True, timeout=30)
        # Decoding the whole picture, not just the headers: ffmpeg to a null sink.
        decode = subprocess.run(["ffmpeg", "-v", "error", "-i", f.name, "-f", "null", "-"],
                                capture_output=True, text=True, timeout=30)
    if probe.returncode != 0 or decode.returncode != 0 or decode.stderr.strip():
        return f"undecodable: {probe.stderr.strip()} {decode.stderr.strip()[:200]}"
    width, height = probe.stdout.strip().split(",")
    return int(width), int(height)


def read_mjpeg(guest, count, timeout):
    """`count` frames of /stream.mjpg and the time each arrived."""
    conn, response = guest.get("/stream.mjpg", timeout=timeout)
    if response.status != 200:
        raise RuntimeError(f"/stream.mjpg: HTTP {response.status}")
    frames = []
    while len(frames) < count:
        headers = {}
        while True:
            line = response.fp.readline()
            if not line:
                raise RuntimeError("stream ended")
            line = line.strip()
            if not line:
                if headers:
                    break
                continue
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        data = response.fp.read(length)
        frames.append((time.monotonic(), data))
    conn.close()
    return frames


def snapshot(guest):
    """/snapshot.jpg's JPEG, or None while the server has no frame yet."""
    conn, response = guest.get("/snapshot.jpg")
    body = response.read()
    conn.close()
    return body if response.status == 200 and body[:2] == b"\xff\xd8" else None


def poke(port):
    """One step of the guest's camera script: a connection to its port 7001 (closed at once;
    the guest's serial log says whether the step ran)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plug:
        plug.sendall(b"step\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--plug-port", type=int, required=True)
    parser.add_argument("--hostname", required=True)
    parser.add_argument("--serial", required=True)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--fps", type=float, default=10)
    parser.add_argument("--boot-timeout", type=int, default=180)
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    guest = Guest(args.port, args.hostname, args.serial)

    started = time.time()
    status = guest.wait_status(args.boot_timeout)
    record("guest answers /status with its hostname", status is not None,
           f"after {time.time() - started:.0f} s")
    if status is None:
        return 1

    # 1. No camera.
    camera = wait_for("fault while no camera exists", 60,
                      lambda: (lambda c: c if c["fault"] else None)(guest.camera()))
    if camera:
        record("fault says libcamera found no cameras", "found no cameras" in camera["fault"],
               camera["fault"])
    card = wait_for("a snapshot without a camera", 20, lambda: snapshot(guest))
    record("snapshot without a camera is the fault card at the configured size",
           card is not None and jpeg_size(card) == size, str(card and jpeg_size(card)))
    retries = wait_for("the source retries", 30,
                       lambda: len(re.findall(r"retrying in", guest.serial_text())) >= 2)
    record("the source retries while no camera exists", bool(retries))

    # 2. The camera appears, but buffers cannot be allocated (no dma-buf provider).
    retried = len(re.findall(r"retrying in", guest.serial_text()))
    poke(args.plug_port)
    record("guest: step 1 (camera without dma-buf providers)",
           bool(wait_for("guest step 1", 30, lambda: "step 1:" in guest.serial_text())))
    camera = wait_for("fault: buffers cannot be allocated", 60,
                      lambda: (lambda c: c if "cannot allocate frame buffers" in (c["fault"] or "") else None)(guest.camera()))
    record("fault says buffers cannot be allocated", camera is not None, camera and camera["fault"])
    # A restarted zerocam sets the fault before its first card is in the pool.
    card = wait_for("a snapshot after the restart", 20, lambda: snapshot(guest))
    record("snapshot is the fault card again", card is not None and jpeg_size(card) == size,
           str(card and jpeg_size(card)))
    more = wait_for("the source retries after the allocation failure", 30,
                    lambda: len(re.findall(r"retrying in", guest.serial_text())) >= retried + 2)
    record("the source retries after the allocation failure", bool(more))

    # 3. The providers are back: the next retry streams, the fault clears.
    poke(args.plug_port)
    record("guest: step 2 (dma-buf providers back)",
           bool(wait_for("guest step 2", 30, lambda: "step 2:" in guest.serial_text())))
    camera = wait_for("a retry streams and the fault clears", 60,
                      lambda: (lambda c: c if c["fault"] is None and c["device"] else None)(guest.camera()))
    record("a retry streams and the fault clears", camera is not None)
    if camera is None:
        print(guest.serial_text()[-3000:])
        return 1

    # 4. Streaming.
    # Five seconds of stream. The rate counts from the sixth frame: the first may have waited
    # in the server, and the session's first second includes the camera's start-up.
    frames = read_mjpeg(guest, int(args.fps * 5) + 6, 30)
    sizes = [jpeg_size(data) for _, data in (frames[1], frames[len(frames) // 2], frames[-1])]
    record("stream frames decode at the configured size", all(s == size for s in sizes), str(sizes))
    # The virtual camera's "lines" pattern scrolls and repeats every few frames, so count
    # changes from one frame to the next (a stalled or repeating source shows as equal
    # neighbours), not distinct frames over the whole run.
    changed = sum(1 for (_, a), (_, b) in zip(frames, frames[1:]) if a != b)
    distinct = len({data for _, data in frames})
    record("frames change", changed >= (len(frames) - 1) * 9 // 10,
           f"{changed} of {len(frames) - 1} frames differ from the one before ({distinct} distinct)")
    elapsed = frames[-1][0] - frames[5][0]
    rate = (len(frames) - 6) / elapsed if elapsed > 0 else 0
    record("frames arrive at the configured rate", 0.8 * args.fps <= rate <= 1.2 * args.fps,
           f"{rate:.2f} fps over {elapsed:.1f} s (configured {args.fps:g})")

    # 5. /status: the camera, its controls, and what libcamera reported back.
    camera = wait_for("metadata of the 30th frame in /status", 30,
                      lambda: (lambda c: c if (c["device"] or {}).get("metadata", {}) and
                               c["device"]["metadata"]["frame"] >= 30 else None)(guest.camera()))
    if camera is None:
        return 1
    device = camera["device"]
    print("     /status device: " + json.dumps(device), flush=True)
    record("/status names the libcamera camera", device["id"] == "Virtual0"
           and device["model"] == "zerocam CI virtual camera", f"{device['id']} {device['model']!r}")
    record("/status shows the stream", device["streaming"].startswith(f"NV12 {args.size}"),
           device["streaming"])
    # fps_in averages over a window that may still hold the session's start.
    settled = wait_for("/status fps_in near the configured rate", 20,
                       lambda: (lambda c: c if abs(c["fps_in"] - args.fps) <= 0.2 * args.fps else None)(guest.camera()))
    record("/status fps_in near the configured rate", settled is not None,
           str(settled and settled["fps_in"]))
    offered = device["controls"]
    requested = device["requested"]
    ignored = device["ignored"]
    # Each setting of the guest's [camera.libcamera] (and the frame rate) by libcamera name.
    for control in ["FrameDurationLimits", "ExposureTime", "AnalogueGain", "AwbMode"]:
        if control in offered:
            record(f"{control}: the camera has it and zerocam set it", control in requested,
                   requested.get(control, "not set"))
        else:
            record(f"{control}: the camera lacks it and zerocam says so", control in ignored,
                   f"ignored: {ignored}")
    values = device["metadata"]["values"]
    record("libcamera's request metadata is shown (SensorTimestamp)",
           values.get("SensorTimestamp", "").isdigit(), str(values))
    for control, value in requested.items():
        if control in values:
            expected = re.sub(r"^\w+\((.*)\)$", r"\1", value)
            record(f"metadata {control} is what zerocam asked for", values[control] == expected,
                   f"{values[control]} vs {value}")
    counters = camera["dropped"]
    record("no frames dropped as corrupt", counters["corrupt"] == 0, str(counters))

    # 6. The allocation test of this source, against the same camera (zerocam stopped first).
    poke(args.plug_port)
    ended = wait_for("the allocation test", 150,
                     lambda: re.search(r"allocation test exit status (\d+)", guest.serial_text()))
    text = guest.serial_text()
    figures = re.search(r"\d+ frames delivered in .* allocations in the whole process", text)
    record("libcamera source: no allocation per frame (tests/no_alloc_per_frame.rs in the guest)",
           bool(ended) and ended.group(1) == "0", figures.group(0) if figures else "no result line")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    if failures:
        print("failed: " + ", ".join(failures), flush=True)
    sys.exit(code)
