from pathlib import Path

import pytest

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


def test_who_may_talk_to_tidal_from_the_environment():
    env = {"TIDAL_AUTH": "sigv4", "TIDAL_CREDENTIALS": "AKID1:secret:with:colons, AKID2:s2",
           "TIDAL_ALLOW_HOST": "dev.test,.internal.test", "TIDAL_HEADER_TIMEOUT": "2.5", "TIDAL_IDLE_TIMEOUT": "60"}
    config = Config.from_env(env)
    assert config.auth == "sigv4"
    assert config.credential_pairs == {"AKID1": "secret:with:colons", "AKID2": "s2"}
    assert config.allow_host == ("dev.test", ".internal.test")
    assert (config.header_timeout, config.idle_timeout) == (2.5, 60.0)
    defaults = Config.from_env({})
    assert (defaults.auth, defaults.credential_pairs, defaults.allow_host) == ("none", {"test": "test"}, ())


@pytest.mark.parametrize("env", [{"TIDAL_AUTH": "sigv2"}, {"TIDAL_CREDENTIALS": "no-secret"},
                                 {"TIDAL_CREDENTIALS": ":secret"}, {"TIDAL_PORT": "lots"}])
def test_settings_that_do_not_parse_are_refused(env):
    with pytest.raises(ValueError):
        Config.from_env(env)
