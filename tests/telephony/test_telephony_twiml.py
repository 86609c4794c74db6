import xml.etree.ElementTree as ET

from telephony.simulator.phone import parse_stream_twiml
from telephony.twiml import stream_twiml


def test_connect_stream_with_parameters():
    xml = stream_twiml("wss://agent.example.com/ws", {"token": "abc", "scenario": "care_call", "name": "김영수"})
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    stream = root.find("./Connect/Stream")
    assert stream is not None and stream.get("url") == "wss://agent.example.com/ws"
    assert [(p.get("name"), p.get("value")) for p in stream.findall("Parameter")] == [
        ("token", "abc"), ("scenario", "care_call"), ("name", "김영수")]
    assert xml.startswith("<?xml")


def test_values_are_escaped():
    url, params = parse_stream_twiml(stream_twiml("wss://h/ws?a=1&b=2", {"note": '<"&\'>'}))
    assert url == "wss://h/ws?a=1&b=2" and params == {"note": '<"&\'>'}
