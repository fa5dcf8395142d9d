"""step_through: the notebook stepper's state machine and widget, without a browser."""
import base64
import io

import pytest
from conftest import need

from tinygrad_edu import Value
from tinygrad_edu.trace import trace
from tinygrad_edu.widget import StepState, step_through


def slide():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    return x1.log() + x1 * x2 - x2.sin()


def test_state_machine_moves_one_row_and_stops_at_the_ends():
    state = StepState(11)
    assert (state.position, state.at_start, state.at_end) == (0, True, False)
    assert state.back() == 0                      # Back at the first row does nothing
    assert [state.next() for _ in range(12)] == list(range(1, 11)) + [10, 10]
    assert state.at_end and not state.at_start
    assert state.go(4) == 4 and state.back() == 3 and state.next() == 4
    for bad in (-1, 11, 2.5):
        with pytest.raises(ValueError, match="step must be a whole number from 0 to 10"):
            state.go(bad)
    with pytest.raises(TypeError, match="step needs a whole number"):
        state.go("3")
    assert state.position == 4                     # a refused jump changes nothing
    one = StepState(1)
    assert one.at_start and one.at_end and one.next() == 0 and one.back() == 0
    with pytest.raises(ValueError, match="the number of steps must be a whole number ≥ 1"):
        StepState(0)
    assert StepState(3).go(True) == 1 and StepState(2.0).count == 2  # checks' policy: True is 1


def test_widget_buttons_slider_and_table_follow_the_state():
    pytest.importorskip("ipywidgets")
    need("program:dot")
    view = step_through(slide())
    rows = trace(slide()).adjoint
    assert view.state.count == len(rows) == 11
    assert view._back.disabled and not view._next.disabled
    view._next.click()
    view._next.click()
    assert view.state.position == 2 and view._slider.value == 2
    assert "v̄3 = v̄5 × (−1)" not in view._table.value  # the expression is escaped cell by cell
    current = [line for line in view._table.value.split("<tr")[1:] if "outline" in line]
    assert len(current) == 1 and "v̄3" in current[0] and "−1.000" in current[0]
    assert view._table.value.count("…") == 11 - 3          # rows still to come
    view._slider.value = 10                                 # drag the slider to the end
    assert view.state.position == 10 and view._next.disabled and not view._back.disabled
    view._next.click()
    assert view.state.position == 10
    assert view._graph.value.startswith("<svg")
    last = view._table.value.split("<tr")[-1]
    assert "x̄2" in last and "v̄0" in last and "1.716" in last and "outline" in last
    view._back.click()
    assert view.state.position == 9 and view._where.value == "row 10 of 11"


def test_display_carries_the_gif_for_places_without_widgets():
    need("program:dot")
    Image = pytest.importorskip("PIL.Image")
    bundle = step_through(slide(), mode="forward")._repr_mimebundle_()
    gif = Image.open(io.BytesIO(base64.b64decode(bundle["image/gif"])))
    assert gif.format == "GIF" and gif.n_frames == len(trace(slide(), mode="forward",
                                                                   seed={"x1": 1}).tangent)
    assert "text/plain" in bundle
    assert "application/vnd.jupyter.widget-view+json" in bundle   # the live widget first
