"""Control of the live show beyond the device's dials: the selected layer and relative steps
(:mod:`~bridge.control.show_controls`), the state a controller sees
(:mod:`~bridge.control.state`), OSC feedback to registered controllers
(:mod:`~bridge.control.feedback`), the OSCQuery namespace and its HTTP/zeroconf server
(:mod:`~bridge.control.oscquery`, :mod:`~bridge.control.oscquery_server`), MIDI learn
(:mod:`~bridge.control.midi_map`, :mod:`~bridge.control.midi_modes`,
:mod:`~bridge.control.midi_learn`, :mod:`~bridge.control.midi_port`), opening them from the
command line (:mod:`~bridge.control.session`) and running them without a picture
(:mod:`~bridge.control.standalone`)."""

#: The OSCQuery HTTP port when ``--oscquery`` is given without one.
DEFAULT_OSCQUERY_PORT = 9010
