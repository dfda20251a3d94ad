"""`streamimages cache-sim` with the workbench options, run as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from streamimages_desktop.cli import entry as cli
from streamimages_desktop.core.workbench import runner
from streamimages_desktop.core.workbench.mrc import lru_curve
from streamimages_desktop.core.workbench.trace import Trace, read_csv, write_csv
from tests.cli.test_cache import run

MIB = 1024 * 1024


def main(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command in this process (fast); (status, stdout, stderr)."""
    argv = ["--library", str(tmp_path / "library"), "--cache-dir", str(tmp_path / "cache")]
    try:
        status = cli.main([*argv, *args])
    except SystemExit as exc:  # argparse's usage errors
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_has_the_contract_shape_and_sizes_are_as_asked(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        "cache-sim",
        "--workload", "zipf:0.8",
        "--objects", "200",
        "--requests", "4000",
        "--object-size", "1MB",
        "--seed", "7",
        "--policy", "seed,lru,fifo,clock,sieve,s3fifo,wtinylfu,arc",
        "--sizes", "10MB,51200KB,0.1GB,1048576",
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert set(record) == {"trace", "curves", "seconds"}
    assert record["trace"]["requests"] == 4000 and record["trace"]["objects"] <= 200
    assert list(record["curves"]) == [
        "seed", "lru", "fifo", "clock", "sieve", "s3fifo", "wtinylfu", "arc", "belady"
    ]  # fmt: skip
    for name, points in record["curves"].items():
        assert [p["size_bytes"] for p in points] == [10 * MIB, 50 * MIB, 107374182, MIB], name
        for p in points:
            assert set(p) == {"size_bytes", "hit_ratio", "byte_hit_ratio"}
            assert 0 <= p["hit_ratio"] <= record["curves"]["belady"][points.index(p)]["hit_ratio"]
    assert isinstance(record["seconds"], float)


def test_a_recorded_trace_loads_back_and_gives_the_same_curves(tmp_path: Path) -> None:
    trace_file = tmp_path / "trace.csv"
    argv = ["cache-sim", "--workload", "mix", "--objects", "100", "--requests", "3000"]
    argv += ["--size-range", "1KB..64KB", "--policy", "lru,s3fifo", "--sizes", "auto"]
    first = run(tmp_path, *argv, "--record-trace", str(trace_file), "--json")
    assert first.returncode == 0, first.stderr
    trace = read_csv(trace_file)
    assert trace_file.read_text().startswith("time,key,size\n")
    assert trace.requests == 3000
    again = run(tmp_path, "cache-sim", "--trace", str(trace_file), "--policy", "lru,s3fifo",
                "--json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["curves"] == json.loads(first.stdout)["curves"]
    exact = lru_curve(trace)
    for point in json.loads(first.stdout)["curves"]["lru"]:
        assert exact.at(point["size_bytes"]).hit_ratio == point["hit_ratio"]


def test_the_table_names_each_policy_and_the_bound(tmp_path: Path) -> None:
    done = run(tmp_path, "cache-sim", "--workload", "live-event", "--requests", "2000",
               "--policy", "seed,sieve", "--sizes", "100MB,500MB")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("trace live-event: 2000 requests, ")
    assert "seed" in done.stdout and "sieve" in done.stdout and "belady (bound)" in done.stdout
    assert any(line.startswith("500 MB") for line in lines)


def test_the_ttl_applies_when_the_trace_has_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = Trace.from_requests([(float(t), "a", 10) for t in range(0, 40, 4)])
    path = tmp_path / "t.csv"
    write_csv(trace, path)
    argv = ["cache-sim", "--trace", str(path), "--sizes", "100", "--policy", "lru,sieve"]
    _status, fresh, _err = main(tmp_path, capsys, *argv, "--json")
    _status, stale, _err = main(tmp_path, capsys, *argv, "--ttl-hours", str(5 / 3600), "--json")
    for name in ("lru", "sieve", "belady"):
        assert json.loads(fresh)["curves"][name][0]["hit_ratio"] == 0.9
        assert json.loads(stale)["curves"][name][0]["hit_ratio"] == 0.5  # every other one


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sizes", "10XB"], "is not a size"),
        (["--sizes", "0"], "larger than 0"),
        (["--policy", "lfu"], "unknown policy"),
        (["--workload", "pareto"], "choose zipf:ALPHA"),
        (["--workload", "zipf:x"], "alpha must be a number"),
        (["--size-range", "9..1"], "MIN <= MAX"),
        (["--objects", "0"], "from 1 to"),
        (["--object-size", "1MB", "--size-range", "1..2"], "not allowed with"),
        (["--trace", "a.csv", "--workload", "scan"], "not allowed with"),
    ],
)
def test_bad_workbench_arguments_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, _out, err = main(tmp_path, capsys, "cache-sim", *args)
    assert status == 2
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("key,size\na,1\n", "line 1: expected the header time,key,size"),
        ("time,key,size\n1,a,-3\n", "line 2: size '-3'"),
        ("time,key,size\n1,a\n", "line 2: expected 3 fields"),
        ("time,key,size\n", "no requests"),
    ],
)
def test_a_bad_trace_file_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "out.csv"
    status, _out, err = main(
        tmp_path, capsys, "cache-sim", "--trace", str(path), "--record-trace", str(out)
    )
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_recording_a_trace_onto_a_pipe_or_device_is_refused_and_leaves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--record-trace /dev/null` (a pipe here: no root needed) used to be replaced by the CSV."""
    pipe = tmp_path / "trace.csv"
    os.mkfifo(pipe)
    status, _out, err = main(
        tmp_path, capsys, "cache-sim", "--workload", "uniform", "--objects", "10",
        "--requests", "100", "--record-trace", str(pipe),
    )  # fmt: skip
    assert status == 1
    assert err.strip() == (
        f"streamimages: cache-sim: cannot write {pipe}: "
        "a device, pipe or socket is in the way (a file is needed there)"
    )
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


def test_old_options_with_workbench_options_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, err = main(
        tmp_path, capsys, "cache-sim", "--preset", "live-event", "--policy", "lru"
    )
    assert status == 2
    assert "--preset is for the single-size simulation" in err


def test_a_policy_over_its_size_exits_1_loudly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runner._job

    def overfull(trace: Any, name: str, size: int, ttl: Any) -> Any:
        point, peak = real(trace, name, size, ttl)
        return point, peak + (size if name == "fifo" else 0)

    monkeypatch.setattr(runner, "_job", overfull)
    argv = ["cache-sim", "--workload", "uniform", "--objects", "50", "--requests", "500"]
    status, out, err = main(tmp_path, capsys, *argv, "--policy", "lru,fifo", "--sizes", "10MB")
    assert status == 1
    assert "LIMIT EXCEEDED by fifo" in err and out.startswith("trace uniform")
