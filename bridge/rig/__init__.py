"""The rig: inputs that feed the bridge without Live or Max (a sound card, Ableton Link).

Each input produces the same protocol events a device would (:mod:`bridge.ingest.protocol`)
and hands them to the bridge's ingest queue, so tracks, rings, analysis and the show work
unchanged. Pure logic (channel specs, the real-time hand-off, events from audio blocks)
lives apart from the modules that touch PortAudio or Link.
"""
