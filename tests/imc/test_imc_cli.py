"""`tinymem imc run CONFIG` end to end on a tiny image-only config."""

import importlib.util
import json

from click.testing import CliRunner

from tinymem.imc.cli import imc


def test_imc_run_writes_results(tmp_path, data_dir):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(f"""
seed = 1
data_dir = "{data_dir}"
output_dir = "out"
[image]
n_train = 80
n_test = 40
[image.lsm]
n_neurons = 30
[audio]
enabled = false
[zeroshot]
enabled = false
[sweep]
n_test = 20
prog_noise = [0.0, 0.05]
adc_bits = [4]
stuck_rate = [0.0]
read_noise = [0.0]
drift_time = [0.0, 86400.0]
""")
    result = CliRunner().invoke(imc, ["run", str(cfg)])
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert 0 <= res["image"]["acc_device"] <= 1
    assert [r["value"] for r in res["sweep"]["drift_time"]] == [0.0, 86400.0]
    assert res["image"]["energy"]["imc_joules"] > 0
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "out" / "noise_sweep.png").stat().st_size > 1000
    assert "image LSM" in result.output
