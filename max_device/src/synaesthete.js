// synaesthete.js: the logic of the Synaesthete Max for Live device.
//
// Runs in Max's classic `js` object (ES5). It keeps the device's identity (a uuid stored
// in a hidden pattr parameter, a random nonce per load), reads the host track and the
// transport from the Live Object Model, and emits every OSC message of protocol v2
// (docs/protocol.md) as a plain Max message. The patch around it casts each argument to
// its OSC type with `pack` before `udpsend`, so the wire types never depend on how Max
// types JavaScript numbers. Audio never becomes JavaScript numbers either: jit.catch~
// hands over float32 matrices, and this script only cuts them into rows for jit.spill.
//
// Shipped devices print nothing: there is no post() here, and a missing bridge is silent.
// The tests run this file under node with a mocked Max API (tests/max_device/).
//
// Stored values are the single source of truth. Live restores the Device ID and Host
// pattrs at load; their values reach the script through deferlow, and the script writes
// back into a pattr only with `set` (which does not output), and only when the value it
// uses differs from the stored one. A new uuid is made only at "restored", which the patch
// sends through the same deferlow queue after banging the pattrs, so every value Live
// restored before the load is already in.
//
// One device per Live set is elected through the shared Global: it alone sends transport
// and listens for the bridge's /syn/status replies (protocol v2), which it shares with the
// other instances through the same Global.

autowatch = 0;
inlets = 1;
outlets = 6;

// Outlets, wired in Synaesthete.maxpat.
var OUT_OSC = 0; // kind-prefixed messages -> route -> typed pack -> prepend address -> udpsend
var OUT_NET = 1; // host / port -> udpsend (the listener is made by patcher scripting)
var OUT_DSP = 2; // downsample / lowpassN -> jit.catch~ and the anti-alias biquad~ chain
var OUT_UI = 3; // status / hostfield / storehost / storeuuid -> status text, host field, pattrs
var OUT_PCM_HEAD = 4; // nonce seq -> pack 0 0 -> prepend set -> the pcm header prepend
var OUT_PCM_DATA = 5; // jit_matrix <row> -> jit.spill -> header prepend -> address -> udpsend

var PROTOCOL_VERSION = 2;
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
var DEFAULT_REPLY_PORT = 9001; // where the elected device listens for /syn/status
var PORT_MIN = 1;
var PORT_MAX = 65535;

// Samples per pcm message. Equals jit.catch~ @framesize and jit.spill @listlength.
var FRAME = 256;
var SEQ_MODULO = 2147483648; // seq wraps from 2^31 - 1 to 0
// Nonces stay below 2^24 so they are exact in a float32, whatever type a number gets.
var NONCE_MAX = 16777215;
var HEARTBEAT_MS = 1000; // hello + meta + params, so a late bridge finds the device
var TRANSPORT_MS = 33; // about 30 transport messages a second
var SILENT_PEAK = 0.0001; // -80 dBFS: quieter than this is silence
var QUIET_MS = 1500; // after this long a silent track stops sending pcm (its layer leaves)
var HOLD_ROWS = 4; // rows kept while silent, sent first when sound returns (the onset)
var CONNECTED_MS = 3000; // "connected" while a /syn/status arrived within this long
// jit.catch~ plane 1 carries count~ (0 .. COUNTER_MODULO - 1, averaged like the audio), so
// the script sees where each row starts and skips seq by the rows a stall lost. 2^22 keeps
// every averaged value (a multiple of 0.5) exact in float32.
var COUNTER_MODULO = 4194304;
var LISTENER_NAME = "synaesthete_listener"; // scripting name of the udpreceive we make
var REPLY_INLET = "synaesthete_replies"; // scripting name of the box it feeds (prepend reply)
var LOWPASS_SECTIONS = 4; // an 8th-order Butterworth before jit.catch~ averages samples
var LOWPASS_FRACTION = 0.42; // cutoff as a fraction of the stream rate
var CLAIM_STALE_MS = 3500; // a uuid claim or a leadership not refreshed this long is free
var MAX_TRACK_DEPTH = 8; // racks nest; the host Track is at most this many parents up
var UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
var HOST_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;

var device = {
    uuid: null,
    nonce: 1 + Math.floor(Math.random() * NONCE_MAX),
    seq: 0,
    started: false, // live.thisdevice has banged at least once
    restored: false, // the "restored" step came: every stored value Live restored is in
    stored: null, // the Device ID value as the script last knew the pattr to hold it
    copied: null, // a stored uuid another instance holds; this one replaced it once
    written: null, // the last value the script wrote into the Device ID pattr (with set)
    on: true, // Live's device on/off switch
    stream: true, // the Stream parameter
    opacity: 1.0,
    blend: DEFAULT_BLEND,
    style: 0,
    gain: 1.0,
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    replyPort: DEFAULT_REPLY_PORT,
    leader: false, // this instance sends transport and listens for the bridge
    sampleRate: 0, // unknown until dspstate~ reports
    decimation: 2,
    announced: false, // a hello went out for the current uuid
    said: "", // the status text last shown
    lastLoudMs: -1e9, // Date.now() of the last level above SILENT_PEAK
    nextPosition: -1, // the counter value the next row should start at; -1 unknown
    lostSamples: 0, // stream samples jit.catch~ lost (main thread stalls), counted here
    held: [], // rows caught while silent, newest last (at most HOLD_ROWS)
    dropped: 0 // matrices of an unexpected shape, dropped
};
// Every instance in this Live shares one Global: uuid -> the nonce of the instance using
// it. A copied uuid (duplicated track, default track, preset from another track) is
// found at load, and the copy makes itself a new one instead of impersonating the original.
var owners = new Global("synaesthete_device_owners");
// The set's elected device: leader (its nonce), leaderSeen (Date.now() of its last
// heartbeat), statusMs (when it last heard /syn/status) and statusTracks.
var shared = new Global("synaesthete_device_set");
var jsthis = this; // for patcher scripting (the listener)
var listener = null; // the udpreceive this instance made while it leads
var track = { name: "", color: 0, index: -1 };
var song = { tempo: 120.0, playing: 0, numerator: 4, denominator: 4 };
var lom = { track: null, song: null, observers: [] };
var heartbeat = null;
var transportTask = null;
var rowMatrix = null;
var holdMatrices = [];

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

function modulo(value, base) {
    return ((value % base) + base) % base;
}
modulo.local = 1;

function validPort(number) {
    return finite(number) && number >= PORT_MIN && number <= PORT_MAX;
}
validPort.local = 1;

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
    // reply_port is 0 except on the elected device, which listens there for /syn/status.
    outlet(OUT_OSC, ["hello", device.nonce, PROTOCOL_VERSION, device.sampleRate,
        device.decimation, device.leader ? device.replyPort : 0]);
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
    if (!active() || !device.leader) {
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

function quiet() {
    return Date.now() - device.lastLoudMs > QUIET_MS;
}
quiet.local = 1;

function connected() {
    var heard = shared.statusMs;
    return typeof heard === "number" && Date.now() - heard < CONNECTED_MS;
}
connected.local = 1;

function showStatus() {
    // Whether a bridge answers comes first; silence is a detail of a connected device.
    var text;
    if (!device.on) {
        text = "device off";
    } else if (!device.stream) {
        text = "stream off";
    } else if (!connected()) {
        text = "no bridge";
    } else if (device.sampleRate <= 0 || quiet()) {
        text = "connected, silent";
    } else {
        text = "connected";
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
    refreshClaim();
    elect();
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

// ---------------------------------------------------------------- the elected device

function elect() {
    // One device per set leads: the first active one to find no fresh leader. Its
    // heartbeat keeps the leadership; a leader that stops (deleted without notice,
    // switched off) is replaced within CLAIM_STALE_MS, one that resigns at once.
    var now = Date.now();
    var current = shared.leader;
    var fresh = current !== undefined && current !== null &&
        now - (shared.leaderSeen || 0) < CLAIM_STALE_MS;
    if (active() && (!fresh || current === device.nonce)) {
        shared.leader = device.nonce;
        shared.leaderSeen = now;
        lead();
    } else if (device.leader) {
        resign(false);
    }
}
elect.local = 1;

function lead() {
    if (!device.leader) {
        device.leader = true;
        openListener(); // every caller announces next, so the bridge learns the port
    }
    if (transportTask === null) {
        transportTask = new Task(sendTransport, jsthis);
        transportTask.interval = TRANSPORT_MS;
        transportTask.repeat();
    }
}
lead.local = 1;

function resign(closing) {
    // Stop leading. `closing`: the device is being freed, and Max frees the listener
    // with it; removing objects from a patcher being freed is not done.
    if (transportTask !== null) {
        transportTask.cancel();
        transportTask = null;
    }
    if (closing) {
        listener = null;
    } else {
        closeListener();
    }
    if (device.leader && shared.leader === device.nonce) {
        shared.leader = null; // the next heartbeat of another device takes over
    }
    device.leader = false;
}
resign.local = 1;

function openListener() {
    // Patcher scripting: exactly one udpreceive in the set, made by the elected device
    // and freed when it resigns (so the port is free for the next one).
    var patcher = jsthis.patcher;
    if (!patcher || listener !== null) {
        return;
    }
    var stray = patcher.getnamed(LISTENER_NAME); // left over in an edited copy
    if (stray) {
        patcher.remove(stray);
    }
    var target = patcher.getnamed(REPLY_INLET);
    if (!target) {
        return;
    }
    listener = patcher.newdefault(20, 20, "udpreceive", device.replyPort, "@quiet", 1);
    listener.varname = LISTENER_NAME;
    patcher.connect(listener, 0, target, 0);
}
openListener.local = 1;

function closeListener() {
    if (listener !== null) {
        if (jsthis.patcher) {
            jsthis.patcher.remove(listener);
        }
        listener = null;
    }
}
closeListener.local = 1;

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

function adoptUuid(uuid, quietly) {
    // Use `uuid` (or a new one if another instance of this set is it), and make the
    // Device ID pattr hold what is used. Writing uses `set`, which never re-enters here.
    if (uuid === device.copied && device.uuid !== null) {
        uuid = device.uuid; // the same copied value again (re-output at load): done already
    }
    if (uuid !== device.uuid) {
        while (!claim(uuid)) {
            device.copied = uuid;
            uuid = makeUuid(); // another instance in this set already is `uuid`
        }
    }
    if (uuid !== device.uuid) {
        sendBye(); // a stream announced under another uuid ends cleanly
        if (device.uuid !== null) {
            release(device.uuid);
        }
        device.uuid = uuid;
        device.nextPosition = -1;
        sendAddresses();
        if (!quietly) {
            announce();
        }
    }
    if (device.stored !== uuid) {
        device.stored = uuid;
        device.written = uuid;
        outlet(OUT_UI, ["storeuuid", uuid]);
    }
}
adoptUuid.local = 1;

// ---------------------------------------------------------------- messages from the patch

function bang() {
    // live.thisdevice: the device is loaded, or a preset was loaded, or it was saved.
    // Idempotent, and it writes nothing into the stored values: it re-applies the host
    // and port in use; the patch then re-outputs the stored ones and sends "restored".
    device.started = true;
    outlet(OUT_NET, ["host", device.host]);
    outlet(OUT_NET, ["port", device.port]);
    connectLiveObjectModel();
    startTimers();
    announce();
    showStatus();
}

function restored() {
    // Comes through the same deferlow as the stored values, after the patch banged the
    // pattrs: anything Live restored is in. Only now may a device without a uuid make one.
    device.restored = true;
    if (device.uuid === null) {
        adoptUuid(makeUuid(), true); // announced below, once the election is done
    }
    elect();
    announce();
    showStatus();
}

function storeduuid(value) {
    // The hidden Device ID parameter, restored by Live from the set or a preset (or
    // re-output when the patch bangs it at load).
    var uuid = String(value).toLowerCase();
    if (!UUID_PATTERN.test(uuid)) {
        return;
    }
    if (device.written === null || device.written === uuid) {
        device.stored = uuid; // what the pattr holds; nothing to write back
    }
    // Else a value queued before our own write: the pattr holds device.written, so
    // adoptUuid writes the uuid now used (once, with set).
    adoptUuid(uuid);
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
    if (device.restored) {
        elect(); // an inactive device resigns; another takes over
    }
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
    if (device.restored) {
        elect();
    }
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
    // The Port parameter (a Float with an Int unit style: Live's Int holds only 0-255).
    if (validPort(number) && Math.floor(number) !== device.port) {
        device.port = Math.floor(number);
        outlet(OUT_NET, ["port", device.port]);
    }
}

function replyport(number) {
    // The Reply Port parameter: where the elected device listens for /syn/status.
    if (validPort(number) && Math.floor(number) !== device.replyPort) {
        device.replyPort = Math.floor(number);
        if (device.leader) {
            closeListener();
            openListener();
            announce();
        }
    }
}

function useHost(host) {
    // Apply a valid host to udpsend and show it; false if it is not a host name.
    if (!HOST_PATTERN.test(host)) {
        outlet(OUT_UI, ["hostfield", device.host]); // show the host still in use
        return false;
    }
    if (host !== device.host) {
        device.host = host;
        outlet(OUT_NET, ["host", host]);
    }
    outlet(OUT_UI, ["hostfield", host]);
    return true;
}
useHost.local = 1;

function hostname(value) {
    // Typed into the Host field (textedit -> route text -> prepend hostname): the one
    // place the host is written into the stored Host value.
    var host = String(value);
    if (useHost(host)) {
        outlet(OUT_UI, ["storehost", host]);
    }
}

function storedhost(value) {
    // The hidden Host parameter, restored by Live (or re-output at load): applied and
    // shown, never written back.
    useHost(String(value));
}

function reply(address, proto, tracks) {
    // The elected device's udpreceive: /syn/status proto tracks from the bridge, shared
    // with every instance through the Global.
    if (address === "/syn/status" && finite(proto) && finite(tracks)) {
        shared.statusMs = Date.now();
        shared.statusTracks = tracks;
        showStatus();
    }
}

function level(peak) {
    // peakamp~ on the mono sum, every 50 ms.
    if (finite(peak) && peak > SILENT_PEAK) {
        device.lastLoudMs = Date.now();
    }
    showStatus();
}

function rowStart(frames, row) {
    // The counter value at the start of `row`, from plane 1. A cell whose decimation
    // group straddles the counter's wrap is an average of both ends; at most one of the
    // first three cells can be, so two agreeing neighbours tell which to trust.
    var step = device.decimation;
    var a = frames.getcell(0, row)[1];
    var b = frames.getcell(1, row)[1];
    var c = frames.getcell(2, row)[1];
    if (!finite(a) || !finite(b) || !finite(c)) {
        return -1;
    }
    if (modulo(b - a, COUNTER_MODULO) === step) {
        return a;
    }
    if (modulo(c - b, COUNTER_MODULO) === step) {
        return modulo(b - step, COUNTER_MODULO);
    }
    return a;
}
rowStart.local = 1;

function missingRows(start) {
    // Rows lost before a row starting at counter value `start` (0 if none or unknown).
    var rows = 0;
    if (start >= 0 && device.nextPosition >= 0) {
        var lost = modulo(start - device.nextPosition, COUNTER_MODULO) / device.decimation;
        device.lostSamples += lost;
        rows = Math.round(lost / FRAME);
    }
    device.nextPosition = start >= 0 ?
        modulo(start + FRAME * device.decimation, COUNTER_MODULO) : -1;
    return rows;
}
missingRows.local = 1;

function copyRow(frames, row, target) {
    target.usesrcdim = 1;
    target.srcdimstart = [0, row];
    target.srcdimend = [FRAME - 1, row];
    target.frommatrix(frames);
    return target;
}
copyRow.local = 1;

function sendRow(name) {
    outlet(OUT_PCM_HEAD, [device.nonce, device.seq]);
    outlet(OUT_PCM_DATA, ["jit_matrix", name]);
    device.seq = (device.seq + 1) % SEQ_MODULO;
}
sendRow.local = 1;

function holdRow(frames, row) {
    // Keep the newest HOLD_ROWS rows while silent; sound returning sends them first.
    var slot;
    if (device.held.length < HOLD_ROWS) {
        if (holdMatrices.length <= device.held.length) {
            holdMatrices.push(new JitterMatrix(2, "float32", FRAME, 1));
        }
        slot = holdMatrices[device.held.length];
    } else {
        slot = device.held.shift();
    }
    device.held.push(copyRow(frames, row, slot));
}
holdRow.local = 1;

function jit_matrix(name) {
    // jit.catch~ (mode 1): a FRAME x k float32 matrix, plane 0 the decimated mono signal,
    // plane 1 the sample counter. Each row becomes one pcm message; rows a stall lost
    // advance seq so the bridge fills silence and counts them; a silent track sends
    // nothing after QUIET_MS, so its layer leaves the picture.
    var frames = new JitterMatrix(name);
    var dim = frames.dim;
    var width = dim.length ? dim[0] : dim;
    var rows = dim.length > 1 ? dim[1] : 1;
    if (frames.planecount !== 2 || frames.type !== "float32" || width !== FRAME) {
        device.dropped += 1;
        return;
    }
    if (!active()) {
        device.nextPosition = -1;
        device.held = [];
        return;
    }
    for (var row = 0; row < rows; row++) {
        var skip = missingRows(rowStart(frames, row));
        if (skip > 0) {
            device.held = []; // no longer continuous with what follows
            device.seq = (device.seq + skip) % SEQ_MODULO;
        }
        if (quiet()) {
            holdRow(frames, row);
            continue;
        }
        while (device.held.length > 0) {
            sendRow(device.held.shift().name);
        }
        if (rows > 1) {
            if (rowMatrix === null) {
                rowMatrix = new JitterMatrix(2, "float32", FRAME, 1);
            }
            sendRow(copyRow(frames, row, rowMatrix).name);
        } else {
            sendRow(name);
        }
    }
}

function deleted() {
    // freebang: the device is being removed (or its set closed).
    sendBye();
    if (device.uuid !== null) {
        release(device.uuid);
    }
    resign(true);
    stopTimers();
    forgetObservers();
}

function notifydeleted() {
    // Max calls this when the js object itself is freed.
    deleted();
}
