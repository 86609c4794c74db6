import warnings

import numpy as np

from telephony.codec import from_phone, peak, resample, to_phone, ulaw_decode, ulaw_encode

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


def test_encode_matches_audioop_for_every_int16():
    x = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(x) == audioop.lin2ulaw(x.tobytes(), 2)


def test_decode_matches_audioop_for_every_byte():
    every = bytes(range(256))
    decoded = ulaw_decode(every)
    assert decoded.dtype == np.int16
    assert decoded.tobytes() == audioop.ulaw2lin(every, 2)


def test_round_trip_error_is_small_and_silence_byte_is_zero():
    x = (10000 * np.sin(np.linspace(0, 20, 8000))).astype(np.int16)
    err = np.abs(ulaw_decode(ulaw_encode(x)).astype(int) - x)
    assert err.max() <= 0.04 * np.abs(x).max()
    assert ulaw_decode(b"\xff").tolist() == [0] and ulaw_encode(np.zeros(1, np.int16)) == b"\xff"


def test_resample_lengths_and_identity():
    x = (8000 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.int16)
    down = resample(x, 16000, 8000)
    assert down.dtype == np.int16 and abs(len(down) - 8000) <= 2
    assert resample(x, 16000, 16000) is not None and np.array_equal(resample(x, 16000, 16000), x)
    phone = to_phone(x, 16000)
    assert abs(len(phone) - 8000) <= 2
    back = from_phone(phone, 16000)
    assert abs(len(back) - 16000) <= 4
    assert 6000 < peak(back) < 9500  # the tone survives the phone line
    assert peak(np.zeros(0, np.int16)) == 0
