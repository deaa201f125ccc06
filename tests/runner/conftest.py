"""tests/runner: the YAML under specs/ is test data run by these tests (in-process and through
``harness run`` / ``pytest`` subprocesses that name it explicitly), not items of this session."""

collect_ignore = ["specs"]
