"""A call's recording is its owner's only: the file 0600, a new recordings folder 0700."""

from __future__ import annotations

import asyncio

from agent.call.recording import CallRecording


def test_a_recording_and_its_new_folder_are_owner_only(tmp_path):
    recording = CallRecording(tmp_path / "recordings" / "call-1.wav")
    asyncio.run(recording.processor._call_event_handler("on_audio_data", b"\x00\x01" * 640, 8000, 2))
    path = recording.close()
    assert path is not None and path.stat().st_size > 44
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
