"""National batch (geo.planning.batch / batch_run): serial == Dask, killed workers, resume, transit.

Small jobs on the real bundle: Rutland (real roads) and Melton (estimate).  The England run
lives in benchmarks/bench_batch.py.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError
from geo.planning.batch import BatchJob
from geo.planning.batch_lad import partition_path
from geo.planning.batch_manifest import compare_runs
from geo.planning.batch_run import run_batch

distributed = pytest.importorskip("distributed")

LADS = "E06000017;E07000133"  # Rutland (network) ; Melton (estimate)


def _job(**kw) -> BatchJob:
    return BatchJob.parse(area=kw.pop("area", LADS), services=kw.pop("services", ("pharmacy", "hub")),
                          modes=kw.pop("modes", "drive,walk"), **kw)


def _digests(run: Path) -> dict[str, str]:
    return {p.stem: json.loads(p.read_text())["sha256"] for p in sorted((run / "lads").glob("*.json"))}


@pytest.fixture(scope="module")
def serial_run(settings, tmp_path_factory):
    return run_batch(_job(), out_dir=tmp_path_factory.mktemp("serial"), settings=settings, scheduler="serial")


@pytest.fixture(scope="module")
def client():
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_job_parse_and_errors() -> None:
    job = _job()
    assert [m.value for m in job.modes] == ["drive", "walk"]
    assert BatchJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job
    assert job.key == BatchJob.from_dict(job.to_dict()).key
    with pytest.raises(InputError, match="GTFS"):
        BatchJob.parse(modes="drive,transit")
    with pytest.raises(InputError, match="unknown travel mode"):
        BatchJob.parse(modes="drive,bus")
    with pytest.raises(InputError, match="repeats"):
        BatchJob.parse(modes="walk,walk")
    with pytest.raises(InputError, match="straight-line"):
        BatchJob.parse(method="straight-line")


def test_serial_partitions_equal_the_study(serial_run, settings) -> None:
    """Each partition holds exactly what ``Study(StudySpec(area=<LAD>))`` gives on its own."""
    from geo.planning.study import Study
    from geo.planning.study_spec import StudySpec
    from geo.travel.modes import TravelSpec

    run = serial_run.out_dir
    assert sorted(p.name for p in (run / "lads").iterdir()) == [
        "E06000017.json", "E06000017.parquet", "E07000133.json", "E07000133.parquet"]  # no temp files left
    for lad, method in (("E06000017", "network"), ("E07000133", "estimate")):
        part = pd.read_parquet(partition_path(run, lad)).set_index("lsoa21cd")
        for mode in ("drive", "walk"):
            study = Study(StudySpec(area=lad, services=("pharmacy", "hub"), travel=TravelSpec.parse(mode=mode)),
                          settings=settings)
            ref = study.times()
            assert study.method == method
            assert list(part.index) == list(ref.index)
            np.testing.assert_array_equal(part[f"minutes_{mode}"].to_numpy(), ref["minutes"].to_numpy())
            assert (part[f"site_id_{mode}"] == ref["site_id"]).all()
            assert (part[f"method_{mode}"] == method).all()
            cov = {c["threshold"]: c["pct_within"] for c in study.coverage()}
            row = serial_run.summary.loc[lad]
            for thr, pct in cov.items():
                assert row[f"pct_within_{thr:g}min_{mode}"] == pytest.approx(pct)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["job_key"] == _job().key
    assert manifest["inputs"]["pharmacies"]["sha256"] == _sha(settings.data_dir / "sites" / "pharmacies_england.csv")
    assert "network:rutland-2018.osm.pbf" in manifest["inputs"]
    assert set(manifest["lads"]) == {"E06000017", "E07000133"}
    assert manifest["versions"]["dask"]


def _sha(path: Path) -> str:
    from geo.data.sources import sha256_file

    return sha256_file(path)


def test_local_cluster_equals_serial(serial_run, settings, client, tmp_path) -> None:
    from geo.planning.batch_inputs import worker_cache_info

    res = run_batch(_job(), out_dir=tmp_path, settings=settings, client=client)
    assert _digests(tmp_path) == _digests(serial_run.out_dir)  # byte-identical partitions
    pd.testing.assert_frame_equal(res.summary, serial_run.summary)
    assert compare_runs(serial_run.out_dir, tmp_path)["identical"]
    # networks are loaded once per worker and extract/mode, not once per task
    res2 = run_batch(_job(), out_dir=tmp_path / "again", settings=settings, client=client)
    assert _digests(tmp_path / "again") == _digests(tmp_path)
    loads = client.run(worker_cache_info)
    assert sum(v["router_loads"] for v in loads.values()) <= 2 * 4  # (rutland, estimate) x (drive, walk)
    assert sum(v["router_hits"] for v in loads.values()) >= 2
    assert res2.computed == ["E06000017", "E07000133"]


def test_killed_worker_is_retried(settings, client, serial_run, tmp_path) -> None:
    """SIGKILL a worker while it runs a task: the task re-runs elsewhere, results are identical."""
    pids = client.run(os.getpid)
    result: dict[str, object] = {}

    def go() -> None:
        try:
            result["res"] = run_batch(_job(), out_dir=tmp_path, settings=settings, client=client, retries=3)
        except BaseException as exc:  # surfaced by the assertion below
            result["error"] = exc

    t = threading.Thread(target=go)
    t.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and t.is_alive():
        busy = [w for w, tasks in client.processing().items() if any(str(k).startswith("lad-") for k in tasks)]
        if busy and busy[0] in pids:
            killed = pids[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    t.join(timeout=600)
    assert killed is not None, "no task was seen running to kill"
    assert "error" not in result, result.get("error")
    assert _digests(tmp_path) == _digests(serial_run.out_dir)
    client.wait_for_workers(2, timeout=120)  # the nanny restarted the killed worker


def test_resume_skips_finished_and_redoes_damaged(settings, serial_run, tmp_path) -> None:
    import shutil

    shutil.copytree(serial_run.out_dir, tmp_path, dirs_exist_ok=True)
    part = partition_path(tmp_path, "E07000133")
    part.write_bytes(part.read_bytes()[:100])  # a damaged partition (checksum no longer matches)
    res = run_batch(_job(), out_dir=tmp_path, settings=settings, scheduler="serial", resume=True)
    assert res.skipped == ["E06000017"] and res.computed == ["E07000133"]
    assert _digests(tmp_path) == _digests(serial_run.out_dir)
    again = run_batch(_job(), out_dir=tmp_path, settings=settings, scheduler="serial", resume=True)
    assert again.computed == [] and again.skipped == ["E06000017", "E07000133"]
    # another job never reuses these partitions
    other = run_batch(_job(modes="walk"), out_dir=tmp_path, settings=settings, scheduler="serial", resume=True,
                      lads=["E06000017"])
    assert other.computed == ["E06000017"]


def test_national_outputs(serial_run, settings) -> None:
    from geo.data.loaders import load_lad_boundaries
    from geo.outputs.batch_report import lad_choropleth, rank_table, read_partition, write_national_report

    html = write_national_report(serial_run.out_dir, settings=settings).read_text()
    assert "Rutland" in html and "ESTIMATE for 1 of 2 authorities" in html
    ranks = rank_table(serial_run.summary, mode="walk", threshold_minutes=30)
    assert list(ranks["rank"]) == [1, 2] and ranks["pct_within_30min_walk"].is_monotonic_increasing
    gj = lad_choropleth(serial_run.summary, load_lad_boundaries(settings), mode="drive", threshold_minutes=15)
    assert {f["id"] for f in gj["features"]} == {"E06000017", "E07000133"}
    assert len(read_partition(serial_run.out_dir, "E06000017")) == 26


def test_cli_batch_and_compare(settings, tmp_path, capsys) -> None:
    from geo.cli import main

    rc = main(["batch", "--area", "Rutland", "--sites", "hub", "--modes", "walk", "--scheduler", "serial",
               "--run-dir", str(tmp_path / "a"), "--format", "json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["lad24cd"] == "E06000017" and out[0]["method_walk"] == "network"
    assert (tmp_path / "a" / "national_report.html").is_file()
    assert main(["batch", "--area", "Rutland", "--sites", "hub", "--modes", "walk", "--scheduler", "serial",
                 "--run-dir", str(tmp_path / "a"), "--resume", "--no-report"]) == 0
    capsys.readouterr()
    assert main(["batch", "--compare", str(tmp_path / "a"), str(tmp_path / "a"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["identical"] is True
    assert main(["batch", "--area", "Rutland", "--modes", "transit", "--scheduler", "serial"]) == 2


@pytest.mark.transit
def test_transit_chunks_equal_serial_router(valhalla_module, synthetic_feed, settings, client, tmp_path) -> None:
    """LSOA x departure-time chunks on the workers == the serial TransitRouter, to the last bit (two services)."""
    import datetime as dt

    from geo.planning.batch_inputs import lad_study
    from geo.travel.modes import TransitOptions, TravelMode
    from geo.travel.transit import make_transit_router

    when = dt.date.today() + dt.timedelta(days=(1 - dt.date.today().weekday()) % 7 or 7)  # next Tuesday
    opts = TransitOptions(gtfs=str(synthetic_feed.path), depart_at=f"{when.isoformat()}T09:55", window_minutes=30,
                          step_minutes=15)
    job = BatchJob.parse(area="Rutland", services=("hub", "pharmacy"), modes="transit", transit=opts)
    run_batch(job, out_dir=tmp_path / "serial", settings=settings, scheduler="serial")
    parallel = run_batch(job, out_dir=tmp_path / "dask", settings=settings, client=client)
    assert _digests(tmp_path / "serial") == _digests(tmp_path / "dask")
    # the reference: one TransitRouter over the whole window, in this process
    from geo.data.areas import select_area

    router = make_transit_router(area=select_area("E06000017", settings=settings), settings=settings,
                                 gtfs=synthetic_feed.path, depart_at=opts.depart_at, window_minutes=30,
                                 step_minutes=15)
    study = lad_study("E06000017", job, settings, TravelMode.TRANSIT, router=router)
    ref = study.times()
    part = pd.read_parquet(partition_path(tmp_path / "dask", "E06000017")).set_index("lsoa21cd")
    np.testing.assert_array_equal(part["minutes_transit"].to_numpy(), ref["minutes"].to_numpy())
    assert np.isfinite(part["minutes_transit"]).sum() >= 3
    assert parallel.summary.loc["E06000017", "method_transit"] == "timetable"


@pytest.mark.app
@pytest.mark.slow
def test_national_view_in_the_app(serial_run) -> None:
    """The atlas opens a batch output: LAD map (payload <= 5 MB), rank table, drill-down (<= 2 s), downloads."""
    import re

    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=600)
    app.run()
    app.radio(key="view").set_value("National").run()
    app.text_input(key="national_run").set_value(str(serial_run.out_dir)).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    captions = " ".join(c.value for c in app.caption)
    payload_mb = float(re.search(r"Map payload ([\d.]+) MB", captions)[1])
    assert payload_mb <= 5.0
    assert "ESTIMATE for 1 of 2 authorities" in " ".join(w.value for w in app.warning)
    assert {b.label for b in app.get("download_button")} >= {"Download the national summary (CSV)"}
    app.selectbox(key="national_lad").set_value("E06000017").run()
    assert not app.exception, app.exception
    captions = " ".join(c.value for c in app.caption)
    seconds = float(re.search(r"Rutland: 26 LSOAs, read from one partition in ([\d.]+) s", captions)[1])
    assert seconds <= 2.0
    app.selectbox(key="national_mode").set_value("walk").run()
    assert not app.exception and len(app.dataframe) >= 1
