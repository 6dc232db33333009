#!/usr/bin/env bash
# Install the system packages some tests use: xvfb (a real glfw window), liblo-tools
# (oscsend, an independent OSC implementation), and fluidsynth with two General MIDI
# soundfonts (the real-instrument sets of models/instruments.py: TimGM6mb for training,
# MuseScore General Lite for evaluation; the FluidR3_GM that fluidsynth pulls in is never
# used), jackd2 (a dummy JACK server: a real PortAudio host and MIDI ports without sound
# hardware) and libportaudio2 (sounddevice's PortAudio). Only as root with apt; elsewhere
# the tests that need them skip and say why. As root it also turns multicast on for the
# loopback interface (zeroconf and Ableton Link discovery on 127.0.0.1).
set -u
need=()
bare=()  # installed without their recommends (fluidsynth recommends qsynth and Qt)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v oscsend >/dev/null 2>&1 || need+=(liblo-tools)
command -v fluidsynth >/dev/null 2>&1 || bare+=(fluidsynth)
[ -f /usr/share/sounds/sf2/TimGM6mb.sf2 ] || bare+=(timgm6mb-soundfont)
[ -f /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 ] || bare+=(musescore-general-soundfont-small)
command -v jackd >/dev/null 2>&1 || bare+=(jackd2)
ldconfig -p 2>/dev/null | grep -q libportaudio.so.2 || bare+=(libportaudio2)
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
  ip link set lo multicast on 2>/dev/null || echo "system-deps: could not turn on multicast on lo"
fi
[ ${#need[@]} -eq 0 ] && [ ${#bare[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${need[*]} ${bare[*]}"
  apt-get update -qq >/dev/null 2>&1
  export DEBIAN_FRONTEND=noninteractive
  if [ ${#need[@]} -gt 0 ]; then
    apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
      || echo "system-deps: apt-get failed; tests needing ${need[*]} will skip"
  fi
  if [ ${#bare[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${bare[@]}" >/dev/null 2>&1 \
      || echo "system-deps: apt-get failed; tests needing ${bare[*]} will skip"
  fi
else
  echo "system-deps: not root with apt; tests needing ${need[*]} ${bare[*]} will skip"
fi
exit 0
