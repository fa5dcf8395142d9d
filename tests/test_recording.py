"""no_grad is per thread and nests; collector_paused restores the collector's state."""
import gc
import threading

from tinygrad_edu import Value, no_grad
from tinygrad_edu.recording import collector_paused, is_recording


def test_no_grad_records_nothing_and_restores_after_an_exception():
    x = Value(3.0)
    try:
        with no_grad():
            y = x * x
            assert not is_recording()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert y.data == 9.0 and y.parents == () and y.op == ""
    assert is_recording() and (x * x).parents == (x, x)


def test_no_grad_nests_and_works_as_a_decorator():
    @no_grad()
    def square(v):
        return v * v

    with no_grad():
        with no_grad():
            pass
        assert not is_recording()
    assert is_recording()
    assert square(Value(2.0)).parents == () and is_recording()


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    inside, recorded, done = threading.Event(), [], threading.Event()

    def quiet():
        with no_grad():
            inside.set()
            done.wait(5)

    worker = threading.Thread(target=quiet)
    worker.start()
    assert inside.wait(5)
    x = Value(2.0)
    recorded.append(x * 3)           # this thread still records while the other is in no_grad
    done.set()
    worker.join(5)
    assert recorded[0].parents[0] is x and recorded[0].local_grads == (3.0, 2.0)
    assert is_recording()


def test_collector_paused_restores_the_previous_state():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()    # it was off before: it stays off
    finally:
        gc.enable()


def test_backward_leaves_the_collector_as_it_found_it():
    x = Value(2.0)
    (x * x).backward()
    assert gc.isenabled() and x.grad == 4.0
