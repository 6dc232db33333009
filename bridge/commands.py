"""Subcommands of the bridge area: ``bridge`` (the daemon) and ``simulate``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.protocol import DEFAULT_HOST, DEFAULT_PORT, MAX_PCM_SAMPLES

if TYPE_CHECKING:
    from bridge.feature_worker import FeatureWorker
    from bridge.service import BridgeService, Snapshot

log = logging.getLogger("synaesthete")


def register(subparsers: argparse._SubParsersAction) -> None:
    bridge = subparsers.add_parser(
        "bridge",
        help="receive the devices' OSC and show live per-track meters",
        description="Run the bridge: receive audio, metadata and dials from every device.",
    )
    _add_endpoint(bridge, listen=True)
    bridge.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="sender IP allowed when binding beyond loopback (repeatable)",
    )
    bridge.add_argument("--max-tracks", type=int, default=64, help="live track cap (64)")
    bridge.add_argument(
        "--refresh", type=float, default=0.5, help="seconds between view refreshes (0.5)"
    )
    bridge.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    bridge.add_argument(
        "--stats",
        action="store_true",
        help="print one statistics line per refresh instead of the table",
    )
    bridge.add_argument(
        "--stats-json", type=Path, default=None, help="write final counters to this JSON file"
    )
    bridge.add_argument(
        "--analyse-hz",
        type=float,
        default=30.0,
        help="analysis updates per second per track, as the live pipeline runs them "
        "(30; 0 = receive only)",
    )
    bridge.set_defaults(func=run_bridge)

    sim = subparsers.add_parser(
        "simulate",
        help="stream audio files into a bridge as virtual Max devices",
        description="Stream each audio file as one virtual device, paced in real time.",
    )
    sim.add_argument("files", nargs="*", type=Path, help="audio files (wav, flac, ogg, aiff)")
    _add_endpoint(sim, listen=False)
    sim.add_argument("--loop", action="store_true", help="loop the files until Ctrl-C")
    sim.add_argument("--tempo", type=float, default=120.0, help="transport tempo (120 BPM)")
    sim.add_argument(
        "--sample-rate", type=float, default=44100.0, help="Live's simulated rate (44100)"
    )
    sim.add_argument("--decimation", type=int, default=2, help="rate divisor (2)")
    sim.add_argument(
        "--block", type=int, default=MAX_PCM_SAMPLES, help="samples per pcm message (512)"
    )
    sim.add_argument("--seconds", type=float, default=None, help="stop after this long")
    sim.add_argument(
        "--synthetic", type=int, default=0, metavar="N", help="add N generated test voices"
    )
    sim.add_argument("--seed", type=int, default=None, help="fix nonces and sequence starts")
    sim.set_defaults(func=run_simulate)

    demo = subparsers.add_parser(
        "demo",
        help="the whole path on built-in material (a synthesised techno loop)",
        description="Stream the built-in four-stem loop through real UDP into a bridge "
        "inside this command and show what the bridge receives.",
    )
    demo.add_argument("--seconds", type=float, default=8.0, help="how long to run (8)")
    demo.add_argument("--refresh", type=float, default=1.0, help="view refresh (1 s)")
    demo.set_defaults(func=run_demo)


def _add_endpoint(parser: argparse.ArgumentParser, *, listen: bool) -> None:
    verb = "listen on" if listen else "send to"
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to {verb} (127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"UDP port ({9000})")


def run_bridge(args: argparse.Namespace) -> int:
    from bridge.service import BridgeService
    from bridge.terminal_view import TerminalView

    try:
        service = BridgeService(
            host=args.host, port=args.port, allow=args.allow, max_tracks=args.max_tracks
        )
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s (is another bridge running?)", *_ep(args), exc)
        return 2
    from bridge.feature_worker import FeatureWorker

    view = TerminalView()
    start = time.monotonic()
    worker = FeatureWorker(service, args.analyse_hz) if args.analyse_hz > 0 else None
    try:
        with service:
            if worker is not None:
                worker.start()
            while args.duration is None or time.monotonic() - start < args.duration:
                time.sleep(args.refresh)
                snapshot = service.snapshot()
                if args.stats:
                    _print_stats_line(snapshot)
                else:
                    view.show(snapshot)
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            worker.stop()
        if args.stats_json is not None:
            _write_stats(service, args.stats_json, worker)
    return 0


def _ep(args: argparse.Namespace) -> tuple[str, int]:
    return args.host, args.port


def _print_stats_line(snapshot: Snapshot) -> None:
    packets = sum(t.counters["packets"] for t in snapshot.tracks)
    lost = sum(t.counters["lost"] for t in snapshot.tracks)
    dropped = sum(v for k, v in snapshot.counters.items() if k != "controls")
    print(
        f"tracks={len(snapshot.tracks)} datagrams={snapshot.datagrams} packets={packets} "
        f"lost={lost} dropped={dropped} queue={snapshot.queue_depth}",
        flush=True,
    )


def _write_stats(service: BridgeService, path: Path, worker: FeatureWorker | None) -> None:
    snapshot = service.snapshot()
    data = {
        "analysis_updates": worker.updates if worker else 0,
        "analysis_busy_seconds": worker.busy_seconds if worker else 0.0,
        "datagrams": snapshot.datagrams,
        "counters": snapshot.counters,
        "stream_totals": service.stream_totals(),
        "tracks": {
            f"{t.name}:{t.nonce}": {"state": t.state, **t.counters} for t in snapshot.tracks
        },
    }
    path.write_text(json.dumps(data, indent=2))


def run_simulate(args: argparse.Namespace) -> int:
    from bridge.audio_files import AudioFileError
    from bridge.simulator import (
        Simulator,
        devices_from_arrays,
        devices_from_files,
        synthetic_sources,
    )

    stream_rate = args.sample_rate / args.decimation
    try:
        devices = devices_from_files(args.files, stream_rate=stream_rate, seed=args.seed)
    except AudioFileError as exc:
        log.error("%s", exc)
        return 2
    if args.synthetic:
        seconds = args.seconds if args.seconds is not None else 30.0
        devices += devices_from_arrays(
            synthetic_sources(args.synthetic, seconds),
            stream_rate=stream_rate,
            seed=None if args.seed is None else args.seed + 1,
            first_index=len(devices),
        )
    if not devices:
        log.error("nothing to stream: give audio files and/or --synthetic N")
        return 2
    try:
        simulator = Simulator(
            devices,
            host=args.host,
            port=args.port,
            sample_rate=args.sample_rate,
            decimation=args.decimation,
            block=args.block,
            tempo=args.tempo,
            loop=args.loop,
            seconds=args.seconds,
        )
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    names = ", ".join(d.name for d in devices)
    log.info(
        "streaming %d device(s) to %s:%d at %.0f Hz: %s",
        len(devices),
        args.host,
        args.port,
        stream_rate,
        names,
    )
    stop = threading.Event()
    try:
        stats = simulator.run(stop)
    except KeyboardInterrupt:
        stop.set()
        simulator.say_bye()
        stats = simulator.stats
    finally:
        simulator.close()
    print(
        f"sent {stats.pcm_messages} pcm messages ({stats.samples} samples) in "
        f"{stats.seconds:.1f} s; {stats.late_blocks} late blocks",
        file=sys.stderr,
    )
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from bridge.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems
    from bridge.features import TrackAnalyser
    from bridge.service import BridgeService
    from bridge.simulator import Simulator, devices_from_arrays
    from bridge.terminal_view import TerminalView

    stems = [(name, audio, float(DEMO_RATE)) for name, audio in demo_stems()]
    view = TerminalView()
    analysers: dict[tuple[str, int], TrackAnalyser] = {}
    with BridgeService(port=0) as service:
        devices = devices_from_arrays(stems, stream_rate=22050.0, seed=0)
        simulator = Simulator(
            devices, port=service.address[1], tempo=DEMO_TEMPO, loop=True, seconds=args.seconds
        )
        log.info(
            "demo: streaming %d stems into a bridge on port %d", len(devices), service.address[1]
        )
        runner = threading.Thread(target=simulator.run, name="simulator", daemon=True)
        runner.start()
        try:
            while True:
                runner.join(args.refresh)
                if not runner.is_alive():
                    break
                with service.lock:
                    tracks = list(service.registry.tracks.values())
                    for track in tracks:
                        analysers.setdefault(track.key, TrackAnalyser()).pull(track.stream)
                snapshot = service.snapshot()
                for track in tracks:
                    features = analysers[track.key].features
                    snapshot.extra[track.label] = (
                        f"onset {features.onset:5.1f}  centroid {features.centroid:6.0f} Hz  "
                        f"flatness {features.flatness:.2f}"
                    )
                view.show(snapshot)
        finally:
            simulator.close()
    return 0
