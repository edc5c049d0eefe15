import relman


def test_all_is_pinned():
    assert relman.__all__ == [
        "CheckFailed",
        "CommandError",
        "Config",
        "ConfigError",
        "NothingToDo",
        "RelmanError",
        "RemoteError",
        "ToolNotFound",
        "UsageError",
        "VersionError",
        "__version__",
        "load_config",
        "next_version",
        "parse_version",
    ]
    for name in relman.__all__:
        assert hasattr(relman, name), name
