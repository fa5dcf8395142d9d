"""The README's Python examples run, in order, in one namespace, and print what they promise."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    from conftest import need
    need("program:dot")
    need("torch")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    source = "\n".join(blocks)
    # draw_dot(...) as a bare expression only displays in Jupyter; here it just builds
    exec(compile(source, str(README), "exec"), namespace)  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert "11.652" in out and "5.5" in out and "1.716" in out
    assert "v̄-1 = v̄-1 + v̄1 / v-1 = 5.500" in out
    assert (tmp_path / "graph.png").stat().st_size > 1000
    assert (tmp_path / "moons.json").exists()
    assert namespace["history"].val_accuracy[-1] == pytest.approx(1.0)
