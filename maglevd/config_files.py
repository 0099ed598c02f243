"""The files a maglev.yaml names must be usable before the daemon takes the config.

A https check's `ca-file` is read when its probe is built: a missing or unreadable file used
to pass `--check`, then fail the start with a bare `[Errno 2]` (naming neither the file nor
the key), or, on a reload, leave a backend without a probe worker. This rule runs with the
config's validation (`--check`, start, SIGHUP and API reload, API check), so such a config
is refused with the YAML path and line, and the running config stays.

Each file is loaded the way the probe loads it (`ssl_context`, which keeps the context), so
a config that passes here gives a probe that can be built.
"""

from __future__ import annotations

import ssl
from typing import Iterator, List, Tuple

from ..plugins.module_utils.config_errors import ConfigIssue
from ..plugins.module_utils.config_model import Config
from .probes.http import ssl_context


def named_files(config: Config) -> Iterator[Tuple[str, str]]:
    """(YAML path, file name) of every file the config names."""
    for name, check in config.healthchecks.items():
        if check.http is not None and check.http.ca_file is not None and not check.http.insecure:
            yield "maglev.healthchecks.%s.params.ca-file" % name, check.http.ca_file


def check_named_files(config: Config) -> List[ConfigIssue]:
    """An issue for each named file that cannot be loaded (a config rule for config.load_file)."""
    issues = []
    for path, file_name in named_files(config):
        try:
            ssl_context(False, file_name)
        except OSError as exc:  # ssl.SSLError is an OSError too
            issues.append(ConfigIssue(path, "cannot use %r as a CA bundle: %s" % (file_name, _reason(exc))))
    return issues


def _reason(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        return "not a PEM certificate file (%s)" % (exc.reason or exc)
    return exc.strerror or str(exc)
