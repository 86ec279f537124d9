"""Helpers the Python benchmarks in utils/ share: redis-cli calls, INFO,
a node's RSS, the pid utils/cluster keeps for it."""
import os
import re
import subprocess


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def cli(port, *args):
    return sh("redis-cli", "-p", str(port), *args).stdout.strip()


def info(port, section):
    d = {}
    for line in cli(port, "INFO", section).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            d[k] = v.strip()
    return d


def rss_kb(pid, field="VmRSS"):
    """VmRSS counts LevelDB's mmap'ed table files too (clean page cache the
    kernel can drop); RssAnon is the process's own memory."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return int(re.search(field + r":\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return 0


def pid_of(d, i):
    with open(os.path.join(d, "node%d.pid" % i)) as f:
        return int(f.read())
