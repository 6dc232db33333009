"""Static checks of the patcher source: wiring, parameters, conventions, layout.

These stand in for opening the device in Max: a cord into a missing inlet, a renamed
parameter or a broken pass-through fails here instead of in a producer's set.
"""

from __future__ import annotations

import json
import re

import pytest

from bridge.ingest.protocol import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEVICE_FRAME,
    MAX_PCM_SAMPLES,
    STYLE_NAME_PATTERN,
)
from max_device.build import SOURCE_DIR
from max_device.objects import expected_ports
from max_device.patcher import Box, Patcher
from models.paths import DEFAULT_STYLE, SHIPPED_STYLES_DIR
from renderer.modes import BLEND_MODES, DEFAULT_BLEND_MODE

SCRIPT = (SOURCE_DIR / "synaesthete.js").read_text(encoding="utf-8")
DEVICE_HEIGHT = 169  # every Live device is this tall
#: Live recalls automation, mappings and presets by long name: these must never change.
LONG_NAMES = (
    "Opacity",
    "Blend",
    "Style",
    "Reactivity",
    "Stream",
    "Port",
    "Host",
    "Device ID",
    "Reply Port",
)
LOCAL_NAME_OBJECTS = ("send", "s", "receive", "r", "buffer~", "value", "v", "forward", "coll")


def script_constant(name: str):
    """A ``var NAME = <JSON literal>;`` constant of the device script."""
    pattern = rf"^(?:var )?{name} = (.+?);(?:[ \t]*//[^\n]*)?$"
    match = re.search(pattern, SCRIPT, re.MULTILINE | re.DOTALL)
    assert match, f"synaesthete.js defines no constant {name}"
    return json.loads(match.group(1))


def script_handlers() -> set[str]:
    """Functions of the script that messages can call (not marked ``.local``)."""
    defined = set(re.findall(r"^function (\w+)\(", SCRIPT, re.MULTILINE))
    hidden = set(re.findall(r"^(\w+)\.local = 1;$", SCRIPT, re.MULTILINE))
    return defined - hidden


def targets(patcher: Patcher, box: Box, outlet: int = 0) -> list[tuple[Box, int]]:
    return [
        (patcher.boxes[c.destination[0]], c.destination[1])
        for c in patcher.cords_from(box.id, outlet)
    ]


def test_the_patcher_is_a_device_that_opens_in_presentation(patcher) -> None:
    assert patcher.attributes["openinpresentation"] == 1
    assert patcher.attributes["devicewidth"] > 0
    assert patcher.attributes.get("latency", 0) == 0


def test_every_box_has_the_ports_of_its_object(patcher) -> None:
    script_ports = (int(script_constant("inlets")), int(script_constant("outlets")))
    for box in patcher.boxes.values():
        expected = expected_ports(box.name, box.args) or script_ports
        assert (box.numinlets, box.numoutlets) == expected, f"{box.id} {box.name} {box.args}"


def test_every_cord_joins_ports_that_exist(patcher) -> None:
    for line in patcher.lines:
        source = patcher.boxes[line.source[0]]
        destination = patcher.boxes[line.destination[0]]
        assert 0 <= line.source[1] < source.numoutlets, f"{source.name} has no outlet {line}"
        assert 0 <= line.destination[1] < destination.numinlets, f"{destination.name}: {line}"


def test_audio_passes_through_untouched_on_both_channels(patcher) -> None:
    plugin, plugout = patcher.only("plugin~"), patcher.only("plugout~")
    into_plugout = {(c.source, c.destination) for c in patcher.cords_to(plugout.id)}
    assert into_plugout == {
        ((plugin.id, 0), (plugout.id, 0)),
        ((plugin.id, 1), (plugout.id, 1)),
    }, "plugout~ must be fed by plugin~ directly: nothing added, nothing delayed"


def test_the_capture_path_sums_filters_and_catches(patcher) -> None:
    plugin, total = patcher.only("plugin~"), patcher.only("+~")
    assert {(c.source[1], c.destination[1]) for c in patcher.cords_to(total.id)} == {(0, 0), (1, 1)}
    assert all(c.source[0] == plugin.id for c in patcher.cords_to(total.id))
    ((half, _),) = targets(patcher, total)
    assert half.name == "*~" and half.args == ["0.5"], "the mono sum is (L + R) / 2"
    stage, sections = half, 0
    while True:
        nexts = [box for box, _ in targets(patcher, stage) if box.name in ("biquad~", "jit.catch~")]
        assert len(nexts) == 1
        stage = nexts[0]
        if stage.name == "jit.catch~":
            break
        sections += 1
    assert sections == script_constant("LOWPASS_SECTIONS")


def test_frames_agree_between_catch_spill_and_script(patcher) -> None:
    catch, spill = patcher.only("jit.catch~"), patcher.only("jit.spill")
    frame = script_constant("FRAME")
    assert catch.attribute("mode") == ["1"], "mode 1 outputs every sample once, in whole frames"
    assert catch.attribute("framesize") == [str(frame)]
    assert spill.attribute("listlength") == [str(frame)]
    assert 1 <= frame <= MAX_PCM_SAMPLES
    assert frame == DEVICE_FRAME, "the simulator sends what the device sends"


def test_polling_keeps_ahead_of_the_capture_buffer(patcher) -> None:
    catch = patcher.only("jit.catch~")
    pollers = [c for c in patcher.cords_to(catch.id) if patcher.boxes[c.source[0]].name == "qmetro"]
    assert len(pollers) == 1, "a low-priority qmetro polls jit.catch~"
    interval_ms = float(patcher.boxes[pollers[0].source[0]].args[0])
    # jit.catch~ buffers about 100 ms; poll at least three times within it.
    assert interval_ms <= 30


def test_udpsend_defaults_are_the_bridges(patcher) -> None:
    assert patcher.only("udpsend").args == [DEFAULT_HOST, str(DEFAULT_PORT)]
    assert script_constant("DEFAULT_HOST") == DEFAULT_HOST
    assert script_constant("DEFAULT_PORT") == DEFAULT_PORT


def parameters(patcher):
    return {param.longname: param for param in patcher.parameters()}


def test_parameter_names_are_frozen_and_unique(patcher) -> None:
    params = list(patcher.parameters())
    assert sorted(p.longname for p in params) == sorted(LONG_NAMES), (
        "a parameter's long name is its identity in users' sets: never rename or drop one"
    )
    shortnames = [p.shortname for p in params]
    assert all(shortnames) and len(set(shortnames)) == len(shortnames)


@pytest.mark.parametrize(
    ("name", "maxclass", "kind", "low", "high", "initial", "invisible"),
    [
        ("Opacity", "live.dial", 0, 0.0, 100.0, 100.0, 0),
        ("Reactivity", "live.dial", 0, 0.0, 4.0, 1.0, 0),
        (
            "Blend",
            "live.menu",
            2,
            None,
            len(BLEND_MODES) - 1,
            BLEND_MODES.index(DEFAULT_BLEND_MODE),
            0,
        ),
        ("Style", "live.menu", 2, None, 2.0, 0, 0),
        ("Stream", "live.toggle", 2, None, 1.0, 1, 0),
        ("Port", "live.numbox", 0, 1.0, 65535.0, float(DEFAULT_PORT), 1),
        ("Reply Port", "live.numbox", 0, 1.0, 65535.0, 9001.0, 1),
        ("Host", "pattr", 3, None, None, None, 1),
        ("Device ID", "pattr", 3, None, None, None, 1),
    ],
)
def test_each_parameter_has_its_range(patcher, name, maxclass, kind, low, high, initial, invisible):
    param = parameters(patcher)[name]
    assert param.box.name == maxclass
    assert (param.type, param.mmin, param.mmax, param.invisible) == (kind, low, high, invisible)
    if initial is None:
        assert not param.initial_enabled
    else:
        assert param.initial_enabled and param.initial == (initial,)


def test_blend_and_style_menus_match_the_compositor_and_script(patcher) -> None:
    params = parameters(patcher)
    assert params["Blend"].enum == BLEND_MODES
    assert tuple(script_constant("BLEND_MODES")) == BLEND_MODES
    assert BLEND_MODES[script_constant("DEFAULT_BLEND")] == DEFAULT_BLEND_MODE
    styles = params["Style"].enum
    assert tuple(script_constant("STYLES")) == styles
    assert styles[0] == DEFAULT_STYLE and all(STYLE_NAME_PATTERN.match(s) for s in styles)
    assert all((SHIPPED_STYLES_DIR / s).is_dir() for s in styles), "menu styles must ship"
    assert params["Stream"].enum == ("off", "on")


def test_every_live_control_is_a_parameter(patcher) -> None:
    controls = ("live.dial", "live.menu", "live.tab", "live.toggle", "live.numbox", "live.text")
    for box in patcher.boxes.values():
        if box.name in controls:
            assert box.raw.get("parameter_enable") == 1, f"{box.id} {box.name}"


def test_controls_and_lifecycle_reach_script_handlers(patcher) -> None:
    script = patcher.only("js")
    handlers = script_handlers()
    feeding = [patcher.boxes[c.source[0]] for c in patcher.cords_to(script.id)]
    for box in feeding:
        if box.name == "prepend":
            assert box.args[0] in handlers, f"prepend {box.args[0]}: the script has no handler"
        elif box.maxclass == "message":
            assert box.text in handlers
    named = {box.args[0] for box in feeding if box.name == "prepend"}
    expected = {"opacity", "blend", "style", "reactivity", "stream", "port", "hostname"}
    expected |= {"samplerate", "level", "enabled", "replyport", "reply"}
    assert named == expected
    (defer,) = patcher.named("deferlow")
    assert targets(patcher, defer) == [(script, 0)]
    for param in patcher.parameters():
        ((entry, _),) = targets(patcher, param.box)
        assert entry.name == "prepend", param.longname
        if param.box.name == "pattr":
            # Stored values re-enter the script through the one deferlow, in order.
            assert targets(patcher, entry) == [(defer, 0)], param.longname
        else:
            assert targets(patcher, entry) == [(script, 0)], param.longname
    stored = {
        prepend.args[0]
        for prepend, _ in [(patcher.boxes[c.source[0]], 0) for c in patcher.cords_to(defer.id)]
        if prepend.name == "prepend"
    }
    assert stored == {"storeduuid", "storedhost"}


def test_lifecycle_order_is_set_by_trigger(patcher) -> None:
    device, script = patcher.only("live.thisdevice"), patcher.only("js")
    ((order, _),) = targets(patcher, device, 0)
    assert order.name == "t" and order.args == ["restored"] + ["b"] * 7
    # trigger fires right to left: sample rate, polling, the script, the stored values
    # again, then "restored" into the deferlow the stored values go through.
    params = {p.longname: p.box for p in patcher.parameters()}
    assert [box.name for box, _ in targets(patcher, order, 7)] == ["dspstate~"]
    ((start, _),) = targets(patcher, order, 6)
    assert start.text == "1" and [b.name for b, _ in targets(patcher, start)] == ["qmetro"]
    assert targets(patcher, order, 5) == [(script, 0)]
    assert targets(patcher, order, 4) == [(params["Port"], 0)]
    assert targets(patcher, order, 3) == [(params["Reply Port"], 0)]
    assert targets(patcher, order, 2) == [(params["Host"], 0)]
    assert targets(patcher, order, 1) == [(params["Device ID"], 0)]
    assert targets(patcher, order, 0) == [(patcher.only("deferlow"), 0)]
    ((enabled, _),) = targets(patcher, device, 1)
    assert enabled.args == ["enabled"]
    ((rate, _),) = targets(patcher, patcher.only("dspstate~"), 1)
    assert rate.args == ["samplerate"]
    ((goodbye, _),) = targets(patcher, patcher.only("freebang"))
    assert goodbye.text == "deleted" and targets(patcher, goodbye) == [(script, 0)]


def test_conventions_of_shipped_devices(patcher) -> None:
    assert not patcher.named("print"), "shipped devices print nothing"
    code = re.sub(r"//[^\n]*", "", SCRIPT)
    assert not re.search(r"\b(post|error|cpost)\s*\(", code), "the script prints nothing"
    for box in patcher.boxes.values():
        if box.name in LOCAL_NAME_OBJECTS and box.args:
            assert box.args[0].startswith("---"), f"{box.text}: local names start with ---"


def test_the_interface_fits_the_device_and_is_labelled(patcher) -> None:
    width = patcher.attributes["devicewidth"]
    shown = [box for box in patcher.boxes.values() if box.raw.get("presentation") == 1]
    for box in shown:
        x, y, w, h = box.raw["presentation_rect"]
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= DEVICE_HEIGHT, box.id
    rects = [(box, box.raw["presentation_rect"]) for box in shown]
    for index, (a, (ax, ay, aw, ah)) in enumerate(rects):
        for b, (bx, by, bw, bh) in rects[index + 1 :]:
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert not overlap, f"{a.id} and {b.id} overlap in the device"
    labels = {box.text for box in shown if box.name == "comment"}
    for param in patcher.parameters():
        if param.box.name != "pattr":
            assert param.box.raw.get("presentation") == 1, f"{param.longname} is not shown"
        if param.box.name in ("live.menu", "live.toggle", "live.numbox"):
            assert {param.longname, param.shortname} & labels, f"{param.longname} has no label"
    assert patcher.only("textedit").raw.get("presentation") == 1 and "Host" in labels
    status = [box for box in shown if box.raw.get("varname") == "status"]
    assert len(status) == 1, "a status indicator is shown"
