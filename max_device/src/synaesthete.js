// synaesthete.js: the logic of the Synaesthete Max for Live device.
//
// Runs in Max's classic `js` object (ES5). It keeps the device's identity (a uuid stored
// in a hidden pattr parameter, a random nonce per load), reads the host track and the
// transport from the Live Object Model, and emits every OSC message of protocol v1
// (docs/protocol.md) as a plain Max message. The patch around it casts each argument to
// its OSC type with `pack` before `udpsend`, so the wire types never depend on how Max
// types JavaScript numbers. Audio never becomes JavaScript numbers either: jit.catch~
// hands over float32 matrices, and this script only cuts them into rows for jit.spill.
//
// Shipped devices print nothing: there is no post() here, and a missing bridge is silent.
// The tests run this file under node with a mocked Max API (tests/max_device/).

autowatch = 0;
inlets = 1;
outlets = 6;

// Outlets, wired in Synaesthete.maxpat.
var OUT_OSC = 0; // kind-prefixed messages -> route -> typed pack -> prepend address -> udpsend
var OUT_NET = 1; // host / port -> udpsend
var OUT_DSP = 2; // downsample / lowpassN -> jit.catch~ and the anti-alias biquad~ chain
var OUT_UI = 3; // status / host / uuid -> status text, host field, stored pattr values
var OUT_PCM_HEAD = 4; // nonce seq -> pack 0 0 -> prepend set -> the pcm header prepend
var OUT_PCM_DATA = 5; // jit_matrix <row> -> jit.spill -> header prepend -> address -> udpsend

var PROTOCOL_VERSION = 1;
// The compositor's blend names, in the order of the Blend parameter (renderer/modes.py).
var BLEND_MODES = [
    "normal", "multiply", "screen", "overlay", "darken", "lighten", "color-dodge",
    "color-burn", "hard-light", "soft-light", "difference", "exclusion", "plus-lighter"
];
var DEFAULT_BLEND = 2; // "screen"
// Shipped styles, in the order of the Style parameter.
var STYLES = ["squiggle", "glyphs", "squiggle-lite"]; // append only: Live stores the index
var DEFAULT_HOST = "127.0.0.1";
var DEFAULT_PORT = 9000;

// Samples per pcm message. Equals jit.catch~ @framesize and jit.spill @listlength.
var FRAME = 256;
var SEQ_MODULO = 2147483648; // seq wraps from 2^31 - 1 to 0
// Nonces stay below 2^24 so they are exact in a float32, whatever type a number gets.
var NONCE_MAX = 16777215;
var HEARTBEAT_MS = 1000; // hello + meta + params, so a late bridge finds the device
var TRANSPORT_MS = 33; // about 30 transport messages a second
var SILENT_PEAK = 0.0001; // -80 dBFS: below this the status says "no audio"
var QUIET_MS = 1500; // how long a silence lasts before the status says so
var LOWPASS_SECTIONS = 4; // an 8th-order Butterworth before jit.catch~ averages samples
var LOWPASS_FRACTION = 0.42; // cutoff as a fraction of the stream rate
var CLAIM_STALE_MS = 3500; // a uuid claim not refreshed by a heartbeat for this long is free
var MAX_TRACK_DEPTH = 8; // racks nest; the host Track is at most this many parents up
var UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
var HOST_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;

var device = {
    uuid: null,
    nonce: 1 + Math.floor(Math.random() * NONCE_MAX),
    seq: 0,
    started: false, // live.thisdevice has banged at least once
    on: true, // Live's device on/off switch
    stream: true, // the Stream parameter
    opacity: 1.0,
    blend: DEFAULT_BLEND,
    style: 0,
    gain: 1.0,
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    sampleRate: 0, // unknown until dspstate~ reports
    decimation: 2,
    announced: false, // a hello went out for the current uuid
    said: "", // the status text last shown
    lastLoudMs: -1e9,
    dropped: 0 // matrices of an unexpected shape, dropped
};
// Every instance in this Live shares one Global: uuid -> the nonce of the instance using
// it. A copied uuid (duplicated track, default track, preset from another track) is
// found at load, and the copy makes itself a new one instead of impersonating the original.
var owners = new Global("synaesthete_device_owners");
var track = { name: "", color: 0, index: -1 };
var song = { tempo: 120.0, playing: 0, numerator: 4, denominator: 4 };
var clockMs = 0; // advanced by the heartbeat, so status timing needs no Date
var lom = { track: null, song: null, observers: [] };
var heartbeat = null;
var transportTask = null;
var rowMatrix = null;

// ---------------------------------------------------------------- pure helpers

function decimationFor(rate) {
    // Live's rate / 2, or / 4 above 48 kHz: the stream stays at 22.05-24 kHz (and 48 kHz
    // at 192 kHz), which the bridge resamples to its analysis rate.
    return rate > 48000 ? 4 : 2;
}
decimationFor.local = 1;

function butterworthSections(sections, cutoff, rate) {
    // Biquad sections of a Butterworth lowpass of order 2 * sections, by the bilinear
    // transform prewarped at `cutoff`. Each is [a0, a1, a2, b1, b2] for biquad~:
    // y[n] = a0 x[n] + a1 x[n-1] + a2 x[n-2] - b1 y[n-1] - b2 y[n-2].
    var order = 2 * sections;
    var w0 = 2 * Math.PI * cutoff / rate;
    var cosw = Math.cos(w0);
    var result = [];
    for (var k = 0; k < sections; k++) {
        var q = 1 / (2 * Math.sin((2 * k + 1) * Math.PI / (2 * order)));
        var alpha = Math.sin(w0) / (2 * q);
        var norm = 1 + alpha;
        result.push([
            (1 - cosw) / 2 / norm,
            (1 - cosw) / norm,
            (1 - cosw) / 2 / norm,
            -2 * cosw / norm,
            (1 - alpha) / norm
        ]);
    }
    return result;
}
butterworthSections.local = 1;

function makeUuid() {
    // A random (version 4) uuid in canonical lowercase form.
    var hex = "0123456789abcdef";
    var text = "";
    for (var i = 0; i < 32; i++) {
        var digit = Math.floor(Math.random() * 16);
        if (i === 12) {
            digit = 4;
        } else if (i === 16) {
            digit = 8 + (digit % 4);
        }
        text += hex.charAt(digit);
        if (i === 7 || i === 11 || i === 15 || i === 19) {
            text += "-";
        }
    }
    return text;
}
makeUuid.local = 1;

function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
}
clamp.local = 1;

function finite(value) {
    return typeof value === "number" && isFinite(value);
}
finite.local = 1;

function trackIndexOf(path) {
    // "live_set tracks 3" -> 3; return tracks, the master track and chains -> -1.
    var match = /^live_set tracks (\d+)$/.exec(String(path).replace(/"/g, ""));
    return match ? parseInt(match[1], 10) : -1;
}
trackIndexOf.local = 1;

function textOf(values) {
    // A LOM string value arrives as one or more atoms, sometimes quoted.
    return values.join(" ").replace(/^"(.*)"$/, "$1");
}
textOf.local = 1;

// ---------------------------------------------------------------- sending

function active() {
    return device.started && device.on && device.stream && device.uuid !== null &&
        device.sampleRate > 0;
}
active.local = 1;

function sendAddresses() {
    var base = "/syn/" + device.uuid + "/";
    outlet(OUT_OSC, ["address", "hello", "/syn/hello", device.uuid]);
    outlet(OUT_OSC, ["address", "meta", base + "meta"]);
    outlet(OUT_OSC, ["address", "params", base + "params"]);
    outlet(OUT_OSC, ["address", "bye", base + "bye"]);
    outlet(OUT_OSC, ["address", "pcm", base + "pcm"]);
}
sendAddresses.local = 1;

function sendHello() {
    outlet(OUT_OSC, ["hello", device.nonce, PROTOCOL_VERSION, device.sampleRate,
        device.decimation]);
    device.announced = true;
}
sendHello.local = 1;

function sendMeta() {
    if (active()) {
        outlet(OUT_OSC, ["meta", device.nonce, track.name, track.color, track.index]);
    }
}
sendMeta.local = 1;

function paramsMessage(enabled) {
    return ["params", device.nonce, device.opacity, BLEND_MODES[device.blend],
        STYLES[device.style], device.gain, enabled ? 1 : 0];
}
paramsMessage.local = 1;

function sendParams() {
    if (active()) {
        outlet(OUT_OSC, paramsMessage(true));
    }
}
sendParams.local = 1;

function announce() {
    // hello, then meta and params: what a bridge needs to show this track.
    if (active()) {
        sendHello();
        sendMeta();
        sendParams();
    }
}
announce.local = 1;

function sendBye() {
    if (device.announced && device.uuid !== null) {
        outlet(OUT_OSC, ["bye", device.nonce]);
        device.announced = false;
    }
}
sendBye.local = 1;

function sendTransport() {
    if (!active()) {
        return;
    }
    var beat = 0;
    if (lom.song !== null) {
        var time = lom.song.get("current_song_time");
        beat = time && finite(time[0]) ? time[0] : 0;
    }
    outlet(OUT_OSC, ["transport", clamp(song.tempo, 20, 999), song.playing ? 1 : 0,
        beat, clamp(song.numerator, 1, 99), song.denominator]);
}
sendTransport.local = 1;

function showStatus() {
    var text;
    if (!device.on) {
        text = "device off";
    } else if (!device.stream) {
        text = "stream off";
    } else if (device.sampleRate <= 0 || clockMs - device.lastLoudMs > QUIET_MS) {
        text = "no audio";
    } else {
        text = "streaming";
    }
    if (text !== device.said) {
        device.said = text;
        outlet(OUT_UI, ["status", text]);
    }
}
showStatus.local = 1;

// ---------------------------------------------------------------- Live Object Model

function forgetObservers() {
    for (var i = 0; i < lom.observers.length; i++) {
        lom.observers[i].property = "";
    }
    lom.observers = [];
}
forgetObservers.local = 1;

function observe(path, property, callback) {
    var api = new LiveAPI(callback, path);
    api.property = property;
    lom.observers.push(api);
    return api;
}
observe.local = 1;

function hostTrack() {
    // Inside a rack, canonical_parent is a chain: walk up until a Track.
    var api = new LiveAPI(null, "this_device canonical_parent");
    for (var depth = 0; depth < MAX_TRACK_DEPTH && Number(api.id) !== 0; depth++) {
        if (api.type === "Track") {
            return api;
        }
        var parent = api.get("canonical_parent");
        if (!parent || parent.length < 2) {
            break;
        }
        api = new LiveAPI(null, "id " + parent[1]);
    }
    return null;
}
hostTrack.local = 1;

function onTrackChange(args) {
    if (!args || args.length < 2) {
        return;
    }
    var changed = false;
    if (args[0] === "name") {
        var name = textOf(args.slice(1));
        changed = name !== track.name;
        track.name = name;
    } else if (args[0] === "color" && finite(args[1])) {
        var color = clamp(Math.floor(args[1]), 0, 0xffffff);
        changed = color !== track.color;
        track.color = color;
    } else if (args[0] === "tracks" && lom.track !== null) {
        var index = trackIndexOf(lom.track.unquotedpath);
        changed = index !== track.index;
        track.index = index;
    }
    if (changed) {
        sendMeta();
    }
}
onTrackChange.local = 1;

function onSongChange(args) {
    if (!args || args.length < 2 || !finite(args[1])) {
        return;
    }
    var value = args[1];
    if (args[0] === "tempo") {
        song.tempo = value;
    } else if (args[0] === "is_playing") {
        song.playing = value ? 1 : 0;
    } else if (args[0] === "signature_numerator") {
        song.numerator = Math.floor(value);
    } else if (args[0] === "signature_denominator" && [1, 2, 4, 8, 16, 32].indexOf(value) >= 0) {
        song.denominator = value;
    }
}
onSongChange.local = 1;

function connectLiveObjectModel() {
    // Observers give name, colour, track order and the song's tempo, play state and
    // signature as they change; outside Live there is no LOM and the defaults stay.
    forgetObservers();
    lom.track = null;
    lom.song = null;
    try {
        lom.track = hostTrack();
        if (lom.track !== null) {
            var trackPath = "id " + lom.track.id;
            track.name = textOf(lom.track.get("name"));
            var color = lom.track.get("color");
            track.color = finite(color[0]) ? clamp(Math.floor(color[0]), 0, 0xffffff) : 0;
            observe(trackPath, "name", onTrackChange);
            observe(trackPath, "color", onTrackChange);
            observe("live_set", "tracks", onTrackChange);
            track.index = trackIndexOf(lom.track.unquotedpath);
        }
        lom.song = new LiveAPI(null, "live_set");
        observe("live_set", "tempo", onSongChange);
        observe("live_set", "is_playing", onSongChange);
        observe("live_set", "signature_numerator", onSongChange);
        observe("live_set", "signature_denominator", onSongChange);
    } catch (error) {
        lom.song = null;
    }
}
connectLiveObjectModel.local = 1;

// ---------------------------------------------------------------- timers

function onHeartbeat() {
    clockMs += HEARTBEAT_MS;
    refreshClaim();
    announce();
    showStatus();
}
onHeartbeat.local = 1;

function startTimers() {
    if (heartbeat === null) {
        heartbeat = new Task(onHeartbeat, this);
        heartbeat.interval = HEARTBEAT_MS;
        heartbeat.repeat();
    }
    if (transportTask === null) {
        transportTask = new Task(sendTransport, this);
        transportTask.interval = TRANSPORT_MS;
        transportTask.repeat();
    }
}
startTimers.local = 1;

function stopTimers() {
    if (heartbeat !== null) {
        heartbeat.cancel();
        heartbeat = null;
    }
    if (transportTask !== null) {
        transportTask.cancel();
        transportTask = null;
    }
}
stopTimers.local = 1;

// ---------------------------------------------------------------- identity

function claim(uuid) {
    // True if no other live instance uses `uuid`; it is then ours until released. An
    // owner that stopped refreshing its claim (freed without freebang) has lost it.
    var key = "u" + uuid.replace(/-/g, "");
    var owner = owners[key];
    var fresh = Date.now() - (owners[key + "t"] || 0) < CLAIM_STALE_MS;
    if (owner !== undefined && owner !== null && owner !== device.nonce && fresh) {
        return false;
    }
    owners[key] = device.nonce;
    owners[key + "t"] = Date.now();
    return true;
}
claim.local = 1;

function refreshClaim() {
    if (device.uuid !== null) {
        owners["u" + device.uuid.replace(/-/g, "") + "t"] = Date.now();
    }
}
refreshClaim.local = 1;

function release(uuid) {
    var key = "u" + uuid.replace(/-/g, "");
    if (owners[key] === device.nonce) {
        owners[key] = null;
    }
}
release.local = 1;

function adoptUuid(uuid) {
    if (uuid === device.uuid) {
        return;
    }
    while (!claim(uuid)) {
        uuid = makeUuid(); // another instance in this set already is `uuid`
    }
    sendBye(); // a stream announced under another uuid ends cleanly
    if (device.uuid !== null) {
        release(device.uuid);
    }
    device.uuid = uuid;
    sendAddresses();
    outlet(OUT_UI, ["uuid", uuid]);
    announce();
}
adoptUuid.local = 1;

// ---------------------------------------------------------------- messages from the patch

function bang() {
    // live.thisdevice: the device is loaded, or a preset was loaded, or it was saved.
    // Everything here is idempotent: the uuid is made once and never replaced by a new one.
    device.started = true;
    if (device.uuid === null) {
        adoptUuid(makeUuid());
    }
    outlet(OUT_NET, ["host", device.host]);
    outlet(OUT_NET, ["port", device.port]);
    outlet(OUT_UI, ["host", device.host]);
    connectLiveObjectModel();
    startTimers();
    announce();
    showStatus();
}

function storeduuid(value) {
    // The hidden Device ID parameter, restored by Live from the set or a preset.
    var uuid = String(value).toLowerCase();
    if (UUID_PATTERN.test(uuid)) {
        adoptUuid(uuid);
    }
}

function samplerate(rate) {
    // dspstate~: Live's sample rate, at load and whenever the audio engine restarts.
    if (!finite(rate) || rate < 8000 || rate > 384000 || rate === device.sampleRate) {
        return;
    }
    device.sampleRate = rate;
    device.decimation = decimationFor(rate);
    var sections = butterworthSections(LOWPASS_SECTIONS,
        LOWPASS_FRACTION * rate / device.decimation, rate);
    for (var k = 0; k < sections.length; k++) {
        outlet(OUT_DSP, ["lowpass" + (k + 1)].concat(sections[k]));
    }
    outlet(OUT_DSP, ["downsample", device.decimation]);
    announce();
    showStatus();
}

function enabled(on) {
    // live.thisdevice's middle outlet: Live's device on/off switch.
    var now = !!on;
    if (now === device.on) {
        return;
    }
    if (!now) {
        sendBye();
    }
    device.on = now;
    announce();
    showStatus();
}

function stream(on) {
    var now = !!on;
    if (now === device.stream) {
        return;
    }
    if (!now && active()) {
        outlet(OUT_OSC, paramsMessage(false));
        sendBye();
    }
    device.stream = now;
    announce();
    showStatus();
}

function opacity(percent) {
    if (finite(percent)) {
        device.opacity = clamp(percent, 0, 100) / 100;
        sendParams();
    }
}

function blend(index) {
    if (finite(index) && index >= 0 && index < BLEND_MODES.length) {
        device.blend = Math.floor(index);
        sendParams();
    }
}

function style(index) {
    if (finite(index) && index >= 0 && index < STYLES.length) {
        device.style = Math.floor(index);
        sendParams();
    }
}

function reactivity(gain) {
    if (finite(gain)) {
        device.gain = clamp(gain, 0, 4);
        sendParams();
    }
}

function port(number) {
    if (finite(number) && number >= 1 && number <= 65535) {
        device.port = Math.floor(number);
        outlet(OUT_NET, ["port", device.port]);
    }
}

function setHost(value) {
    var host = String(value);
    if (!HOST_PATTERN.test(host)) {
        outlet(OUT_UI, ["host", device.host]); // show the host still in use
        return;
    }
    if (host !== device.host) {
        device.host = host;
        outlet(OUT_NET, ["host", host]);
    }
    outlet(OUT_UI, ["host", host]);
}
setHost.local = 1;

function hostname(value) {
    // Typed into the Host field.
    setHost(value);
}

function storedhost(value) {
    // The hidden Host parameter, restored by Live.
    if (String(value) !== device.host) {
        setHost(value);
    }
}

function level(peak) {
    // peakamp~ on the mono sum, four times a second.
    if (finite(peak) && peak > SILENT_PEAK) {
        device.lastLoudMs = clockMs;
    }
    showStatus();
}

function jit_matrix(name) {
    // jit.catch~ (mode 1): a FRAME x k float32 matrix of the decimated mono signal,
    // every sample exactly once. Each row becomes one pcm message.
    var frames = new JitterMatrix(name);
    var dim = frames.dim;
    var width = dim.length ? dim[0] : dim;
    var rows = dim.length > 1 ? dim[1] : 1;
    if (frames.planecount !== 1 || frames.type !== "float32" || width !== FRAME) {
        device.dropped += 1;
        return;
    }
    if (!active()) {
        return;
    }
    for (var row = 0; row < rows; row++) {
        var source = name;
        if (rows > 1) {
            if (rowMatrix === null) {
                rowMatrix = new JitterMatrix(1, "float32", FRAME, 1);
            }
            rowMatrix.usesrcdim = 1;
            rowMatrix.srcdimstart = [0, row];
            rowMatrix.srcdimend = [FRAME - 1, row];
            rowMatrix.frommatrix(frames);
            source = rowMatrix.name;
        }
        outlet(OUT_PCM_HEAD, [device.nonce, device.seq]);
        outlet(OUT_PCM_DATA, ["jit_matrix", source]);
        device.seq = (device.seq + 1) % SEQ_MODULO;
    }
}

function deleted() {
    // freebang: the device is being removed (or its set closed).
    sendBye();
    if (device.uuid !== null) {
        release(device.uuid);
    }
    stopTimers();
    forgetObservers();
}

function notifydeleted() {
    // Max calls this when the js object itself is freed.
    deleted();
}
