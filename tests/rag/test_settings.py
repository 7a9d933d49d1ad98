from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import load_settings


def test_defaults_env_config_and_overrides_in_order(tmp_path: Path):
    config = tmp_path / "newsrag.toml"
    config.write_text('top_k = 7\nretriever = "dense"\nchunk_size = 600\n')
    env = {"NEWSRAG_TOP_K": "9", "NEWSRAG_DATA_DIR": str(tmp_path / "d"), "NEWSRAG_FLASH_ATTN": "off"}
    s = load_settings(env, config, retriever="keyword")
    assert s.chunk_size == 600          # config file over default
    assert s.top_k == 9                 # environment over config file
    assert s.flash_attn is False        # booleans read from words
    assert s.retriever == "keyword"     # explicit override over everything
    assert s.data_dir == tmp_path / "d"
    assert s.db_path == tmp_path / "d" / "newsrag.db"


def test_settings_are_frozen(tmp_path: Path):
    s = load_settings({}, data_dir=tmp_path)
    with pytest.raises(Exception):
        s.top_k = 3  # type: ignore[misc]


def test_config_file_in_data_dir_is_found(tmp_path: Path):
    (tmp_path / "config.toml").write_text("[newsrag]\ntop_k = 4\n")
    assert load_settings({"NEWSRAG_DATA_DIR": str(tmp_path)}).top_k == 4


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"NEWSRAG_TOP_K": "many"}, "'many'"),
        ({"NEWSRAG_RETRIEVER": "magic"}, "'magic'"),
        ({"NEWSRAG_CHUNK_OVERLAP": "5000"}, "5000"),
        ({"NEWSRAG_NO_SUCH_THING": "1"}, "NEWSRAG_NO_SUCH_THING"),
        ({"NEWSRAG_AUTH": "nopassword"}, "user:password"),
        ({"NEWSRAG_FLASH_ATTN": "maybe"}, "'maybe'"),
        ({"NEWSRAG_STORE": "mysql://db/news"}, "'mysql://db/news'"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, env, fragment):
    with pytest.raises(ConfigError) as info:
        load_settings({"NEWSRAG_DATA_DIR": str(tmp_path), **env})
    assert fragment in str(info.value)


def test_bad_config_file_names_the_file(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = [")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_settings({}, bad, data_dir=tmp_path)


def test_feed_intervals_are_parsed_and_validated():
    from rag.errors import ConfigError
    from rag.settings import load_settings, parse_interval

    assert [parse_interval(x) for x in ("30m", "2h", "1d", "90s", "45")] == [1800, 7200, 86400, 90, 2700]
    for bad in ("soon", "10s", "-5m", ""):
        with pytest.raises(ValueError):
            parse_interval(bad)
    with pytest.raises(ConfigError, match="feed_interval='often'"):
        load_settings({"NEWSRAG_FEED_INTERVAL": "often"})


@pytest.mark.parametrize("auth", ["nopassword", "ann:", ":secret", ":"])
def test_a_malformed_or_empty_auth_is_refused_without_echoing_it(tmp_path: Path, auth):
    """Issue 12, finding 3: an empty password is no login, and the error shows no secret."""
    with pytest.raises(ConfigError) as info:
        load_settings({"NEWSRAG_DATA_DIR": str(tmp_path), "NEWSRAG_AUTH": auth})
    message = str(info.value)
    assert "auth" in message and "user:password" in message
    for secret in ("nopassword", "ann", "secret"):
        assert secret not in message


def test_the_question_length_limit_is_a_setting(tmp_path: Path):
    assert load_settings({"NEWSRAG_DATA_DIR": str(tmp_path)}).max_question_chars == 1000
    with pytest.raises(ConfigError):
        load_settings({"NEWSRAG_DATA_DIR": str(tmp_path), "NEWSRAG_MAX_QUESTION_CHARS": "0"})
