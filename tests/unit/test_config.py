from pathlib import Path

from tidal.config import Config


def test_defaults_make_tidal_up_useful_with_no_flags():
    config = Config.from_env({})
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 4566, Path(".tidal"))
    assert (config.region, config.account_id, config.time_scale) == ("us-east-1", "000000000000", 1.0)
    assert config.endpoint == "http://127.0.0.1:4566"


def test_environment_then_flags():
    env = {"TIDAL_HOST": "0.0.0.0", "TIDAL_PORT": "5000", "TIDAL_DATA_DIR": "/tmp/x", "TIDAL_TIME_SCALE": "0.5",
           "TIDAL_MAX_WORKERS": "2", "TIDAL_SEED": "7", "TIDAL_REGION": "eu-west-1"}
    config = Config.from_env(env, port=6000, data_dir=None)
    assert (config.host, config.port, config.data_dir) == ("0.0.0.0", 6000, Path("/tmp/x"))
    assert (config.time_scale, config.max_workers, config.seed, config.region) == (0.5, 2, 7, "eu-west-1")
