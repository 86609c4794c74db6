"""How the command line logs.

``quiet_logs``: our warnings and the pipeline library's serious errors only (``--verbose``: everything), for
the interactive commands whose console is the output. ``server_logs``: what ``carecall serve`` writes for an
operator or a log collector: our info and up, other libraries' warnings (the pipeline library's errors) and
up, as text or as JSON lines. Within a call every line carries its ``call_id`` and ``call_sid`` (the call
runner binds them with ``logger.contextualize``; they reach every task the call starts). uvicorn's records (it
logs through the standard ``logging`` module) are handed to the same sink, so a log collector reading JSON never
meets a line of another format.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

LOG_FORMATS = ("text", "json")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
OURS = ("agent", "asr", "tts", "dialog", "telephony", "__main__")
TEXT_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | <cyan>{name}</cyan> | "
    "{extra[ids]}<level>{message}</level>"
)


def quiet_logs(verbose: bool) -> None:
    from loguru import logger

    logger.remove()
    if verbose:
        logger.add(sys.stderr, level="DEBUG")
        return

    def ours_or_serious(record) -> bool:
        # Our own warnings matter to an operator; the pipeline library's are tuning advice.
        return record["level"].no >= 40 or not record["name"].startswith("pipecat")

    logger.add(sys.stderr, level="WARNING", filter=ours_or_serious)


def server_logs(log_format: str = "text", verbose: bool = False, stream: TextIO | None = None) -> None:
    """The server's logging: ``log_format`` text or json; ``verbose``: every library's debug lines as well."""
    from loguru import logger

    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format '{log_format}': expected one of {', '.join(LOG_FORMATS)}")
    out = stream or sys.stderr
    logger.remove()
    logger.configure(extra={"call_id": "", "call_sid": ""}, patcher=_ids_prefix)
    wanted = (lambda record: True) if verbose else _worth_serving
    if log_format == "json":
        logger.add(_json_sink(out), level="DEBUG" if verbose else "INFO", filter=wanted, format="{message}")
    else:
        logger.add(out, level="DEBUG" if verbose else "INFO", filter=wanted, format=TEXT_FORMAT,
                   colorize=out.isatty() if hasattr(out, "isatty") else False)
    # uvicorn's lines (it logs through the standard library) into the same sink. Only uvicorn's: other libraries'
    # standard-library records keep their default (warnings to stderr), e.g. httpx's request lines, which carry a
    # webhook's full URL and its secret.
    for name in UVICORN_LOGGERS:  # as if uvicorn's own logging config had never run in this process
        stdlib = logging.getLogger(name)
        stdlib.handlers.clear()
        stdlib.propagate = True
    uvicorn = logging.getLogger(UVICORN_LOGGERS[0])
    uvicorn.addHandler(StandardLoggingToLoguru())
    uvicorn.propagate = False


class StandardLoggingToLoguru(logging.Handler):
    """A ``logging`` record as a loguru one under the record's own logger name, so the filters and the format
    apply as to ours (uvicorn must then leave its loggers alone: ``log_config=None``)."""

    def emit(self, record: logging.LogRecord) -> None:
        from loguru import logger

        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.patch(lambda r: r.update(name=record.name)).opt(exception=record.exc_info or None).log(
            level, record.getMessage()
        )


def _worth_serving(record) -> bool:
    """Ours from info up; the pipeline library's errors (its warnings are tuning advice); others' warnings."""
    name, level = record["name"] or "", record["level"].no
    if name.split(".")[0] in OURS:
        return True
    if name.startswith("pipecat"):
        return level >= 40
    return level >= 30


def _ids_prefix(record) -> None:
    call_id = record["extra"].get("call_id")
    record["extra"]["ids"] = f"[{call_id[:8]}] " if call_id else ""


def json_line(record: dict[str, Any]) -> str:
    """One log record as a JSON object: time (ISO, with offset), level, logger, message, the bound fields
    (``call_id``, ``call_sid`` …; empty ones left out) and the exception's traceback if any."""
    line: dict[str, Any] = {
        "time": record["time"].isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "logger": record["name"],
        "message": record["message"],
    }
    line.update({k: v for k, v in record["extra"].items() if k != "ids" and v not in ("", None)})
    if record["exception"] is not None:
        import traceback

        exc_type, exc, tb = record["exception"]
        line["exception"] = "".join(traceback.format_exception(exc_type, exc, tb))
    return json.dumps(line, ensure_ascii=False, default=str)


def _json_sink(stream: TextIO):
    def write(message) -> None:
        stream.write(json_line(message.record) + "\n")
        stream.flush()

    return write
