from fenji.errors import ConfigError, FenjiError, InputError, SourceError, choices


def test_hierarchy_and_exit_code() -> None:
    for cls in (ConfigError, InputError, SourceError):
        err = cls("x")
        assert isinstance(err, FenjiError)
        assert err.exit_code == 2


def test_choices_sorted() -> None:
    assert choices(["b", "a"]) == "a, b"
