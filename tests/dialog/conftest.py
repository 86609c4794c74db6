import pytest
from dialog_testkit import MORNING

from dialog import DialogSession, load_scenario


@pytest.fixture(scope="session")
def scenario():
    return load_scenario("care_call")


@pytest.fixture
def session(scenario):
    return DialogSession(scenario, person={"name": "김영수"}, now=MORNING, seed=7)
