"""``python -m agent.cli``: the ``carecall`` command without its console script."""

from agent.cli.main import app

app()
