"""A changelog item announcing a deprecation, served by a real simulator and polled by the notices
receiver of ``otel-auth0 run``, becomes one ``auth0.detection.changelog_deprecation`` record."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from otel_auth0_sim.process import running_simulator
from tests.collector_process import running_collector, write_config
from tests.otlp_receiver import OtlpReceiver, attributes
from tests.support.sim_config import notices_urls

pytestmark = pytest.mark.integration


def test_changelog_deprecation_is_detected(otlp_receiver: OtlpReceiver, tmp_path: Path) -> None:
    with running_simulator("--events-per-second", "0", "--state-dir", str(tmp_path / "sim")) as sim:
        item = {"guid": "dep-1", "title": "Deprecation of the legacy /tokeninfo endpoint"}
        httpx.post(f"{sim.base_url}/_sim/feeds/changelog", json={"items": [item]}, verify=sim.verify)
        config = write_config(
            tmp_path / "config.yaml",
            {
                "auth0": {"domain": sim.info["domain"], "ca_file": sim.info["ca_file"]},
                "state_dir": str(tmp_path / "state"),
                "receivers": {"notices": {"interval": "300ms", **notices_urls(sim)}},
                "exporters": {"otlp": {"endpoint": otlp_receiver.http_endpoint}},
            },
        )

        def detections() -> list[dict[str, object]]:
            return [
                attributes(r.record.attributes)
                for r in otlp_receiver.log_records()
                if r.record.event_name.startswith("auth0.detection.")
            ]

        with running_collector(config) as collector:
            otlp_receiver.wait_for(lambda: bool(detections()), timeout=60)
            assert collector.terminate() == 0, collector.stderr_text()
    [detection] = detections()  # the simulator's two ordinary entries raise nothing
    assert detection["auth0.detection.rule.id"] == "changelog_deprecation"
    assert detection["auth0.detection.group.guid"] == "dep-1"
