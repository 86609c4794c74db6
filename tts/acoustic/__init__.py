"""The HDTS-style acoustic model: phoneme units → log-mel frames (FastSpeech 2-style, with speed/pitch/energy).

``symbols`` (phoneme inventory), ``model`` (the network), ``checkpoint`` (``load_acoustic``, ``export``),
``features`` (F0/energy targets), ``align`` (training-time alignment, imports NeMo). Needs torch.
"""
