"""Training recipes of the HDTS-style voice: corpus preparation, acoustic model, vocoder (``carecall tts``)."""
