"""How the command line logs: our warnings and serious errors only, unless ``--verbose``."""

from __future__ import annotations

import sys


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
