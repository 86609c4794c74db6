import pytest
from loguru import logger


@pytest.fixture
def caplog_loguru():
    """Log lines (level and message) that loguru emitted during the test."""
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(f"{m.record['level'].name} {m.record['message']}"), level="DEBUG")
    yield lines
    logger.remove(sink)
