"""`fleet --ray`: Ray Data on a local Ray instance gives every log the answer the process pool gives.

Needs the `ray` extra (`pip install '.[ray]'`, which .ci/run installs); skipped only where Ray
cannot be installed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ray = pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'logdoctor[ray]')")

from logdoctor.fleet import local, onray  # noqa: E402  (after the skip)
from logdoctor.fleet.rows import summarize  # noqa: E402

from . import fleetgen  # noqa: E402

FLEET_SIZE = 300


@pytest.fixture(scope="module")
def cluster():
    import ray as ray_core

    ray_core.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray_core.get_runtime_context().gcs_address
    ray_core.shutdown()


def test_ray_data_gives_every_log_the_pools_answer(cluster, tmp_path):
    paths = fleetgen.generate(tmp_path, FLEET_SIZE)
    rows, groups = onray.diagnose_all([str(tmp_path)])
    expected = {row.log: row for row in local.diagnose_all(paths)}
    assert [row.log for row in rows] == sorted(expected)
    assert rows == [expected[row.log] for row in rows]
    # the summary from Ray's groupby is the one counted here from the rows
    assert [(g.name, g.verdict, g.logs) for g in groups] == [(g.name, g.verdict, g.logs) for g in summarize(rows)]
    assert sum(group.count for group in groups) == FLEET_SIZE and len(groups) > 5


def test_the_command_line_joins_a_running_cluster(cluster, tmp_path):
    paths = fleetgen.generate(tmp_path, 40)
    result = subprocess.run([sys.executable, "-m", "logdoctor", "fleet", str(tmp_path / "**" / "*.gz"),
                             "--ray-address", cluster, "--format", "jsonl"],
                            capture_output=True, timeout=600, check=False)
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    *rows, summary = [json.loads(line) for line in result.stdout.decode().splitlines()]
    gzipped = sorted(str(path) for path in paths if path.name.endswith(".gz"))
    assert [row["log"] for row in rows] == gzipped
    expected = {row.log: row.as_dict() for row in local.diagnose_all([p for p in paths if str(p) in gzipped])}
    assert rows == [expected[log] for log in gzipped]
    assert sum(group["count"] for group in summary["summary"]) == len(gzipped)


def test_a_location_ray_cannot_list_is_an_input_error(cluster, tmp_path):
    from logdoctor.read.source import InputError

    with pytest.raises(InputError, match="no such file or folder"):
        onray.diagnose_all([(tmp_path / "nowhere").as_uri()])
