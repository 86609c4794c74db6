import threading

from telephony.security import StreamTokens


def test_token_is_good_once():
    tokens = StreamTokens()
    token = tokens.issue("CA1")
    assert len(tokens) == 1
    assert tokens.consume(token, "CA1")
    assert not tokens.consume(token, "CA1")
    assert not tokens.consume(None) and not tokens.consume("") and not tokens.consume("made-up")


def test_token_expires():
    now = [100.0]
    tokens = StreamTokens(ttl_s=10, clock=lambda: now[0])
    late, fresh = tokens.issue(), tokens.issue()
    now[0] += 11
    assert not tokens.consume(late)
    now[0] -= 5
    assert tokens.consume(fresh)


def test_token_bound_to_its_call():
    tokens = StreamTokens()
    token = tokens.issue("CA1")
    assert not tokens.consume(token, "CA2")
    assert not tokens.consume(token, "CA1")  # a failed attempt burns it too
    assert tokens.consume(tokens.issue(""), "CA9")  # issued without a call: any call


def test_only_one_of_many_threads_gets_the_token():
    tokens = StreamTokens()
    token = tokens.issue()
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def take():
        barrier.wait()
        results.append(tokens.consume(token))

    threads = [threading.Thread(target=take) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
