"""Optional OpenTelemetry traces of calls, through pipecat's tracing (``pipecat.utils.tracing``).

``start_tracing`` installs the process's tracer provider with an OTLP/HTTP exporter; the call runner then
asks pipecat for a trace per call (``enable_tracing``, its conversation id the call id), with a span per
turn and per recogniser, dialog and synthesis step. The packages are the ``tracing`` extra
(``pip install carecall[tracing]``); without them the server runs untraced and says so.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from loguru import logger

SERVICE_NAME = "carecall"


def start_tracing(endpoint: str, service_name: str = SERVICE_NAME, exporter=None) -> bool:
    """Export the process's spans to ``endpoint`` (or to ``exporter``, a test's in-memory one). Whether on."""
    try:
        from pipecat.utils.tracing.setup import is_tracing_available, setup_tracing

        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=endpoint)
    except ImportError as exc:
        logger.warning(f"CARECALL_OTEL_ENDPOINT is set but tracing is not installed ({exc.name}): "
                       "pip install 'carecall[tracing]'; calls are not traced")
        return False
    if not is_tracing_available() or not setup_tracing(service_name, exporter=exporter):
        logger.warning("OpenTelemetry tracing could not be set up; calls are not traced")
        return False
    parts = urlsplit(endpoint)  # a query may carry a collector's key
    logger.info(f"tracing calls to {parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}")
    return True
